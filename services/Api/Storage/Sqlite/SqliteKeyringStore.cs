namespace Spokes.Api.Storage.Sqlite;

public sealed class SqliteKeyringStore(SqliteDatabase database) : IKeyringStore
{
    public async Task<string?> GetAsync(string id, CancellationToken cancellationToken = default) =>
        (await database.QueryAsync("SELECT value FROM keyring WHERE id = $id", Documents.Parameters(("id", id)), r => r.GetString(0), cancellationToken))
        .SingleOrDefault();

    public Task<string> AddAsync(string id, string value, CancellationToken cancellationToken = default) =>
        database.WriteTransactionAsync(async (connection, transaction) =>
        {
            await SqliteDatabase.RunAsync(connection, transaction, "INSERT INTO keyring (id, value) VALUES ($id, $value) ON CONFLICT (id) DO NOTHING",
                Documents.Parameters(("id", id), ("value", value)), cancellationToken);
            return (await SqliteDatabase.ReadFirstAsync(connection, transaction, "SELECT value FROM keyring WHERE id = $id", Documents.Parameters(("id", id)),
                r => r.GetString(0), cancellationToken))!;
        }, cancellationToken);

    public async Task<IReadOnlyDictionary<string, string>> ListAsync(CancellationToken cancellationToken = default) =>
        (await database.QueryAsync("SELECT id, value FROM keyring ORDER BY id", Documents.Parameters(), r => (Id: r.GetString(0), Value: r.GetString(1)),
            cancellationToken)).ToDictionary(e => e.Id, e => e.Value);

    public Task ReplaceAsync(IReadOnlyDictionary<string, string> entries, CancellationToken cancellationToken = default) =>
        database.ExecuteInTransactionAsync(entries.Select(e => ("INSERT INTO keyring (id, value) VALUES ($id, $value) ON CONFLICT (id) DO UPDATE SET value = excluded.value",
            (IReadOnlyDictionary<string, object?>)Documents.Parameters(("id", e.Key), ("value", e.Value)))), cancellationToken);

    public async Task<bool> HoldsChannelsAsync(CancellationToken cancellationToken = default) =>
        (await database.QueryAsync("SELECT EXISTS (SELECT 1 FROM channels)", Documents.Parameters(), r => r.GetInt64(0), cancellationToken)).Single() == 1;
}

public sealed class SqlitePlaintextContentStore(SqliteDatabase database) : IPlaintextContentStore
{
    public async Task<IReadOnlyList<Message>> MessagesAfterAsync(string afterId, int limit, CancellationToken cancellationToken = default) =>
        await database.QueryAsync("SELECT document FROM messages WHERE id > $after ORDER BY id LIMIT $limit",
            Documents.Parameters(("after", afterId), ("limit", limit)), Documents.Read<Message>, cancellationToken);

    public async Task<IReadOnlyList<Channel>> ChannelsAfterAsync(string afterId, int limit, CancellationToken cancellationToken = default) =>
        await database.QueryAsync("SELECT document FROM channels WHERE id > $after ORDER BY id LIMIT $limit",
            Documents.Parameters(("after", afterId), ("limit", limit)), Documents.Read<Channel>, cancellationToken);

    public async Task<IReadOnlyList<OutboxEntry>> OutboxAsync(CancellationToken cancellationToken = default) =>
        await new SqliteOutboxStore(database).PendingAsync(int.MaxValue, cancellationToken);

    public Task ReplaceOutboxBodyAsync(Guid id, string body, CancellationToken cancellationToken = default) =>
        database.ExecuteAsync("UPDATE outbox SET body = $body WHERE id = $id", Documents.Parameters(("id", id.ToString()), ("body", body)), cancellationToken);

    /// <summary>
    /// Merges the search index into one segment (deleted words linger in older segments until then), rebuilds the
    /// file (VACUUM leaves no free page with old rows) and empties the WAL into it.
    /// </summary>
    public async Task CompactAsync(CancellationToken cancellationToken = default)
    {
        await database.ExecuteAsync("INSERT INTO message_search (message_search) VALUES ('optimize')", Documents.Parameters(), cancellationToken);
        await database.RunOutsideTransactionAsync("VACUUM", cancellationToken);
        await database.RunOutsideTransactionAsync("PRAGMA wal_checkpoint(TRUNCATE)", cancellationToken);
    }
}
