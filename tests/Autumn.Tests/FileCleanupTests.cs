using Spokes.Autumn.Cleanup;
using Spokes.Autumn.Files;
using Spokes.Autumn.Objects;
using Spokes.Autumn.Records;
using FileUseKind = Spokes.Contracts.Files.V1.FileUseKind;
using Spokes.TestSupport;

namespace Spokes.Autumn.Tests;

/// <summary>Crond's file tasks as Autumn runs them: unclaimed uploads expire, and unused objects leave the store.</summary>
public sealed class FileCleanupTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly TemporaryFolder _folder = new("spokes-autumn-cleanup");
    private readonly SqliteFileRecordStore _records;
    private readonly FolderObjectStore _objects;
    private readonly FileCleanup _cleanup;

    public FileCleanupTests()
    {
        _records = new SqliteFileRecordStore($"Data Source={Path.Combine(_folder.Path, "autumn.db")}");
        _records.MigrateAsync(default).GetAwaiter().GetResult();
        _objects = new FolderObjectStore(Path.Combine(_folder.Path, "files"));
        _cleanup = new FileCleanup(_records, _objects, new KeyedLocks());
    }

    private async Task<string> StoreAsync(string id, char hashChar, DateTimeOffset uploadedAt)
    {
        var hash = new string(hashChar, 64);
        await _objects.PutAsync(hash, [1, 2, 3], default);
        await _records.AddObjectAsync(new StoredObject(hash, "bm9uY2U=", "text/plain", 3, FileMetadata.Text, uploadedAt), default);
        await _records.AddFileAsync(new FileRecord(id, "attachments", "a.txt", hash, "u1", uploadedAt), default);
        return hash;
    }

    [Fact]
    public async Task An_upload_unclaimed_for_an_hour_is_deleted_and_then_its_object_removed()
    {
        var stale = await StoreAsync("stale", 'a', Now.AddMinutes(-61));
        var fresh = await StoreAsync("fresh", 'b', Now.AddMinutes(-59));

        Assert.Equal(1, await _cleanup.PruneDanglingAsync(Now, default));
        Assert.Equal(1, await _cleanup.DeleteMarkedAsync(default));

        Assert.Null(await _objects.GetAsync(stale, default));
        Assert.Null(await _records.GetFileAsync("stale", default));
        Assert.NotNull(await _objects.GetAsync(fresh, default));
        Assert.Equal(0, await _cleanup.DeleteMarkedAsync(default));
    }

    [Fact]
    public async Task A_reported_file_keeps_its_object_and_a_shared_object_stays_while_one_file_uses_it()
    {
        var reported = await StoreAsync("reported", 'c', Now);
        var shared = await StoreAsync("shared-1", 'd', Now);
        await _records.AddFileAsync(new FileRecord("shared-2", "attachments", "b.txt", shared, "u2", Now), default);
        await _records.ClaimAsync(["reported"], "attachments", "u1", new FileUsage(FileUseKind.Message, "m1", ""), default);
        await _records.MarkReportedAsync(["reported"], default);
        await _records.ReleaseAsync(["reported", "shared-1"], default);

        Assert.Equal(0, await _cleanup.DeleteMarkedAsync(default));
        Assert.NotNull(await _objects.GetAsync(reported, default));
        Assert.NotNull(await _objects.GetAsync(shared, default));
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _folder.Dispose();
    }
}
