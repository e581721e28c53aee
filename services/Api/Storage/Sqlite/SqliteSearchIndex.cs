namespace Spokes.Api.Storage.Sqlite;

/// <summary>
/// The full-text index of messages (<c>message_search</c>), kept just behind their inserts instead of inside their
/// transactions. FTS5 writes a new segment and its structure record for every transaction that adds to it: inside a
/// send's transaction that was half the pages its commit waited for the disk to take. Indexed together, the messages
/// sent within <see cref="SqliteSearchIndexer"/>'s batching window pay for those pages once.
/// <para>
/// A search first indexes what is still behind (<see cref="CatchUpAsync"/>), so it finds every message stored before
/// it, by this process or another sharing the file. How far the index has got (<c>message_search_progress</c>) is
/// written in the same transaction as what it indexed, so work a crash or power failure loses is done again.
/// </para>
/// </summary>
public sealed class SqliteSearchIndex(SqliteDatabase database)
{
    private const string IsBehind =
        "SELECT coalesce(max(seq), 0) > (SELECT indexed_through FROM message_search_progress) FROM messages";

    // A message edited before it was indexed has its entry already (the edit indexes it): it is not indexed twice.
    private const string CatchUp = """
        INSERT INTO message_search (rowid, content)
          SELECT m.seq, m.search FROM (
            SELECT seq, json_extract(document, '$.search') AS search FROM messages
            WHERE seq > (SELECT indexed_through FROM message_search_progress)) m
          WHERE m.search <> '' AND NOT EXISTS (SELECT 1 FROM message_search s WHERE s.rowid = m.seq);
        UPDATE message_search_progress SET indexed_through = (SELECT coalesce(max(seq), 0) FROM messages);
        """;

    /// <summary>
    /// Run in the transaction that deletes messages. SQLite gives a new row the highest rowid plus one, so deleting the
    /// newest message would hand its seq, already counted as indexed, to the next one: the mark steps back to the
    /// newest message left.
    /// </summary>
    public const string StepBackAfterDelete =
        "UPDATE message_search_progress SET indexed_through = min(indexed_through, (SELECT coalesce(max(seq), 0) FROM messages))";

    private readonly WakeSignal _stored = new();

    /// <summary>Says a message was stored past the index, waking the indexer.</summary>
    public void Stored() => _stored.Notify();

    /// <summary>Waits until a message is stored past the index (<see cref="Stored"/>) or the timeout passes.</summary>
    public Task WaitForStoredAsync(TimeSpan timeout, CancellationToken cancellationToken) => _stored.WaitAsync(timeout, cancellationToken);

    /// <summary>
    /// Indexes every message stored past the index. Its commit does not wait for the disk: what a power failure takes
    /// back is indexed again from the stored messages.
    /// </summary>
    public async Task CatchUpAsync(CancellationToken cancellationToken = default)
    {
        var behind = await database.QueryAsync(IsBehind, Documents.Parameters(), r => r.GetBoolean(0), cancellationToken);
        if (behind.Single()) await database.ExecuteUnsyncedAsync(CatchUp, Documents.Parameters(), cancellationToken);
    }
}

/// <summary>Indexes the messages stored within a short window together (<see cref="SqliteSearchIndex"/>).</summary>
public sealed class SqliteSearchIndexer(SqliteSearchIndex index, ILogger<SqliteSearchIndexer> logger) : BackgroundService
{
    /// <summary>Long enough to gather a busy channel's messages into one transaction; a search does not wait for it.</summary>
    private static readonly TimeSpan Batching = TimeSpan.FromMilliseconds(250);

    private static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // First what a previous run left behind, then each batch as messages come.
                await index.CatchUpAsync(stoppingToken);
                await index.WaitForStoredAsync(Timeout.InfiniteTimeSpan, stoppingToken);
                await Task.Delay(Batching, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogWarning("Messages wait to be indexed for search: {Reason}. Retrying in {RetryAfter}.", e.Message, RetryAfter);
                // Cancelled when stopping: the service ends with it.
                await Task.Delay(RetryAfter, stoppingToken);
            }
        }
    }
}
