using Microsoft.Data.Sqlite;
using Spokes.Api.Storage;
using Spokes.Api.Storage.Sqlite;
using Spokes.TestSupport;

namespace Spokes.Api.Tests.Storage;

/// <summary>
/// Writes that queue while another runs are committed together, each still all or nothing: one write is held open
/// inside its transaction while the others queue behind it.
/// </summary>
public sealed class SqliteGroupCommitTests : IAsyncLifetime
{
    private const string Insert = "INSERT INTO notes (text) VALUES ($text)";

    private readonly TemporaryFolder _folder = new("spokes-group-commit");
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private SqliteDatabase _database = null!;

    private string Source => $"Data Source={Path.Combine(_folder.Path, "chat.db")}";

    public async Task InitializeAsync()
    {
        _database = new SqliteDatabase(Source);
        await _database.MigrateAsync();
        await _database.ExecuteAsync("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE)", Documents.Parameters());
        await _database.RunOutsideTransactionAsync("PRAGMA wal_checkpoint(TRUNCATE)");
    }

    public Task DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        _folder.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Writes_queued_behind_a_running_one_share_one_commit()
    {
        var first = HeldWriteAsync();
        await _started.Task;
        var queued = Enumerable.Range(0, 20).Select(i => _database.ExecuteAsync(Insert, Documents.Parameters(("text", $"note {i}")))).ToList();
        _gate.SetResult();
        await first;
        Assert.All(await Task.WhenAll(queued), changed => Assert.Equal(1, changed));

        Assert.Equal(21, (await TextsAsync()).Count);
        // Each commit appends the pages it changed to the write-ahead log: 21 commits of a row each would add at least
        // 21 frames, the held write's commit and one for the 20 behind it add a few.
        Assert.InRange(await WalFramesAsync(), 1, 8);
    }

    [Fact]
    public async Task A_write_that_fails_among_others_is_rolled_back_alone_and_told_once_they_are_committed()
    {
        var first = HeldWriteAsync();
        await _started.Task;
        var twin = _database.ExecuteAsync(Insert, Documents.Parameters(("text", "twin")));
        var failing = _database.WriteTransactionAsync(async (connection, transaction) =>
        {
            await SqliteDatabase.RunAsync(connection, transaction, Insert, Documents.Parameters(("text", "partial")), CancellationToken.None);
            return await SqliteDatabase.RunAsync(connection, transaction, Insert, Documents.Parameters(("text", "twin")), CancellationToken.None);
        });
        // The last write of the batch holds it open until the test has looked.
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var after = _database.WriteTransactionAsync(async (connection, transaction) =>
        {
            reached.SetResult();
            await release.Task;
            return await SqliteDatabase.RunAsync(connection, transaction, Insert, Documents.Parameters(("text", "after")), CancellationToken.None);
        });
        _gate.SetResult();

        await reached.Task;
        // Refused already, but not told while the row it collided with is not committed: a look would not find it.
        Assert.False(failing.IsCompleted);
        release.SetResult();
        await Assert.ThrowsAsync<DuplicateKeyException>(() => failing);
        Assert.Contains("twin", await TextsAsync());
        await Task.WhenAll(first, twin, after);
        Assert.Equal(["after", "held", "twin"], await TextsAsync());
    }

    [Fact]
    public async Task A_write_whose_caller_gave_up_while_it_queued_is_not_run()
    {
        var first = HeldWriteAsync();
        await _started.Task;
        using var giveUp = new CancellationTokenSource();
        var abandoned = _database.ExecuteAsync(Insert, Documents.Parameters(("text", "abandoned")), giveUp.Token);
        var kept = _database.ExecuteAsync(Insert, Documents.Parameters(("text", "kept")));
        giveUp.Cancel();
        _gate.SetResult();

        await first;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned);
        await kept;
        Assert.Equal(["held", "kept"], await TextsAsync());
    }

    [Fact]
    public async Task A_write_that_need_not_wait_for_the_disk_commits_without_it_unless_its_batch_holds_one_that_must()
    {
        // Each row records the connection's synchronous setting (1 NORMAL: the commit does not wait for the disk, 2 FULL).
        const string recordSetting = "INSERT INTO notes (text) SELECT $label || ' ' || synchronous FROM pragma_synchronous";
        await _database.ExecuteUnsyncedAsync(recordSetting, Documents.Parameters(("label", "alone")));
        await _database.ExecuteAsync(recordSetting, Documents.Parameters(("label", "synced, after it")));

        // Queued behind a held write, the next two are one batch.
        var first = HeldWriteAsync();
        await _started.Task;
        var batch = new[]
        {
            _database.ExecuteUnsyncedAsync(recordSetting, Documents.Parameters(("label", "batched, unsynced"))),
            _database.ExecuteAsync(recordSetting, Documents.Parameters(("label", "batched, synced"))),
        };
        _gate.SetResult();
        await first;
        await Task.WhenAll(batch);

        Assert.Equal(["alone 1", "batched, synced 2", "batched, unsynced 2", "held", "synced, after it 2"], await TextsAsync());
    }

    /// <summary>A write that stays inside its transaction until the test opens the gate.</summary>
    private Task<int> HeldWriteAsync() => _database.WriteTransactionAsync(async (connection, transaction) =>
    {
        var changed = await SqliteDatabase.RunAsync(connection, transaction, Insert, Documents.Parameters(("text", "held")), CancellationToken.None);
        _started.SetResult();
        await _gate.Task;
        return changed;
    });

    private async Task<List<string>> TextsAsync() =>
        await _database.QueryAsync("SELECT text FROM notes ORDER BY text", Documents.Parameters(), r => r.GetString(0));

    private async Task<int> WalFramesAsync()
    {
        await using var connection = new SqliteConnection(Source);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA wal_checkpoint(PASSIVE)";
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return reader.GetInt32(1);
    }
}
