using MongoDB.Driver;
using Spokes.Autumn.Files;
using Spokes.Autumn.Records;
using Spokes.Contracts.Files.V1;
using Spokes.TestSupport;
using FileMetadata = Spokes.Autumn.Files.FileMetadata;

namespace Spokes.Autumn.Tests.Storage;

/// <summary>
/// One contract for both record stores: SQLite always runs; MongoDB runs where SPOKES_TEST_MONGO names a server and
/// is reported as skipped elsewhere.
/// </summary>
public abstract class FileRecordStoreContractTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    protected abstract Task<IFileRecordStore> CreateStoreAsync();

    private static string Hash(char c) => new(c, 64);

    private static async Task<FileRecord> AddAsync(IFileRecordStore store, string id, string hash, string tag = "attachments", string uploader = "u1",
        DateTimeOffset? at = null)
    {
        await store.AddObjectAsync(new StoredObject(hash, "bm9uY2U=", "image/png", 10, FileMetadata.Image(3, 2), Now), default);
        var file = new FileRecord(id, tag, id + ".png", hash, uploader, at ?? Now);
        await store.AddFileAsync(file, default);
        return file;
    }

    private static FileUsage Use(FileUseKind kind = FileUseKind.Message) => new(kind, "01MESSAGE", "");

    [SkippableFact]
    public async Task Objects_and_files_read_back_as_written()
    {
        var store = await CreateStoreAsync();
        var file = await AddAsync(store, "f1", Hash('a'));
        await store.AddObjectAsync(new StoredObject(Hash('a'), "other", "text/plain", 1, FileMetadata.Text, Now), default);

        Assert.Equal(file, await store.GetFileAsync("f1", default));
        Assert.Equal(new StoredObject(Hash('a'), "bm9uY2U=", "image/png", 10, FileMetadata.Image(3, 2), Now), await store.GetObjectAsync(Hash('a'), default));
        Assert.Null(await store.GetFileAsync("missing", default));
    }

    [SkippableFact]
    public async Task A_claim_takes_all_or_nothing_once_for_the_uploader_and_tag()
    {
        var store = await CreateStoreAsync();
        await AddAsync(store, "f1", Hash('a'));
        await AddAsync(store, "f2", Hash('a'));
        await AddAsync(store, "other-user", Hash('a'), uploader: "u2");
        await AddAsync(store, "other-tag", Hash('a'), tag: "avatars");

        Assert.Equal("other-user", (await store.ClaimAsync(["f1", "other-user"], "attachments", "u1", Use(), default)).Refused);
        Assert.Equal("other-tag", (await store.ClaimAsync(["f1", "other-tag"], "attachments", "u1", Use(), default)).Refused);
        Assert.Equal("f1", (await store.ClaimAsync(["f1", "f1"], "attachments", "u1", Use(), default)).Refused);
        Assert.Null((await store.GetFileAsync("f1", default))!.UsedFor);

        var claimed = await store.ClaimAsync(["f2", "f1"], "attachments", "u1", Use(), default);
        Assert.Null(claimed.Refused);
        Assert.Equal(["f2", "f1"], claimed.Claimed.Select(f => f.Id));
        Assert.Equal(Use(), (await store.GetFileAsync("f1", default))!.UsedFor);
        Assert.Equal("f1", (await store.ClaimAsync(["f1"], "attachments", "u1", Use(FileUseKind.Message), default)).Refused);
    }

    [SkippableFact]
    public async Task Released_files_cannot_be_claimed()
    {
        var store = await CreateStoreAsync();
        await AddAsync(store, "f1", Hash('a'));
        await store.ReleaseAsync(["f1", "unknown"], default);
        Assert.True((await store.GetFileAsync("f1", default))!.Deleted);
        Assert.Equal("f1", (await store.ClaimAsync(["f1"], "attachments", "u1", Use(), default)).Refused);
    }

    [SkippableFact]
    public async Task Unclaimed_files_older_than_the_cutoff_are_deleted()
    {
        var store = await CreateStoreAsync();
        await AddAsync(store, "old", Hash('a'), at: Now.AddHours(-2));
        await AddAsync(store, "new", Hash('a'), at: Now);
        await AddAsync(store, "old-claimed", Hash('a'), at: Now.AddHours(-2));
        await store.ClaimAsync(["old-claimed"], "attachments", "u1", Use(), default);

        Assert.Equal(1, await store.DeleteUnclaimedAsync(Now.AddHours(-1), default));
        Assert.True((await store.GetFileAsync("old", default))!.Deleted);
        Assert.False((await store.GetFileAsync("new", default))!.Deleted);
        Assert.False((await store.GetFileAsync("old-claimed", default))!.Deleted);
    }

    [SkippableFact]
    public async Task An_object_is_unused_when_its_files_are_all_deleted_and_none_is_reported()
    {
        var store = await CreateStoreAsync();
        await AddAsync(store, "a1", Hash('a'));
        await AddAsync(store, "a2", Hash('a'));
        await AddAsync(store, "b1", Hash('b'));
        await AddAsync(store, "c1", Hash('c'));
        await store.ReleaseAsync(["a1", "b1", "c1"], default);
        await store.MarkReportedAsync(["c1"], default);

        Assert.Equal([Hash('b')], await store.UnusedObjectsAsync(default));
        Assert.False(await store.ForgetObjectAsync(Hash('a'), default));
        Assert.True(await store.ForgetObjectAsync(Hash('b'), default));
        Assert.Null(await store.GetObjectAsync(Hash('b'), default));
        Assert.Null(await store.GetFileAsync("b1", default));
        Assert.NotNull(await store.GetObjectAsync(Hash('c'), default));
    }
}

public sealed class SqliteFileRecordStoreTests : FileRecordStoreContractTests, IDisposable
{
    private readonly TemporaryFolder _folder = new("spokes-autumn-records");

    protected override async Task<IFileRecordStore> CreateStoreAsync()
    {
        var store = new SqliteFileRecordStore($"Data Source={Path.Combine(_folder.Path, $"{Guid.NewGuid():N}.db")}");
        await store.MigrateAsync(default);
        return store;
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _folder.Dispose();
    }
}

public sealed class MongoFileRecordStoreTests : FileRecordStoreContractTests
{
    protected override async Task<IFileRecordStore> CreateStoreAsync()
    {
        var connectionString = Environment.GetEnvironmentVariable("SPOKES_TEST_MONGO");
        Skip.If(string.IsNullOrEmpty(connectionString),
            "SPOKES_TEST_MONGO is not set (no MongoDB server can be installed here): set it to mongodb://host:port/ to run the MongoDB provider's contract.");
        // A database per run, so runs never see each other's data.
        var database = new MongoClient(MongoUrl.Create(connectionString)).GetDatabase($"autumn_contract_{Guid.NewGuid():N}");
        var store = new MongoFileRecordStore(database);
        await store.EnsureIndexesAsync(default);
        return store;
    }
}
