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
