using System.Net;
using Microsoft.Data.Sqlite;

namespace Spokes.TunnelEdge.Access;

/// <summary>
/// Visitor controls in the edge's database (table <c>access_rules</c>, one row per tunnel that has any), held in
/// memory for the visitor path: a lookup per visitor, no query.
/// </summary>
public sealed class AccessStore : IAsyncDisposable
{
    private readonly SqliteConnection _connection;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<long, TunnelAccess> _rules = new();

    private AccessStore(SqliteConnection connection) => _connection = connection;

    public static async Task<AccessStore> OpenAsync(string path)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        await connection.OpenAsync();
        var store = new AccessStore(connection);
        await using (var create = connection.CreateCommand())
        {
            create.CommandText = """
                CREATE TABLE IF NOT EXISTS access_rules (
                    tunnel_id INTEGER PRIMARY KEY, allow TEXT NOT NULL, deny TEXT NOT NULL, password_user TEXT, password_hash TEXT);
                """;
            await create.ExecuteNonQueryAsync();
        }
        await using var select = connection.CreateCommand();
        select.CommandText = "SELECT tunnel_id, allow, deny, password_user, password_hash FROM access_rules";
        await using var reader = await select.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            store._rules[reader.GetInt64(0)] = new TunnelAccess(Networks(reader.GetString(1)), Networks(reader.GetString(2)),
                reader.IsDBNull(3) ? null : reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4));
        }
        return store;
    }

    public TunnelAccess For(long tunnelId) => _rules.GetValueOrDefault(tunnelId) ?? TunnelAccess.Open;

    public async Task SetAsync(long tunnelId, TunnelAccess access)
    {
        await _gate.WaitAsync();
        try
        {
            await using var command = _connection.CreateCommand();
            if (access.IsOpen)
            {
                command.CommandText = "DELETE FROM access_rules WHERE tunnel_id = $t";
                command.Parameters.AddWithValue("$t", tunnelId);
            }
            else
            {
                command.CommandText = """
                    INSERT INTO access_rules (tunnel_id, allow, deny, password_user, password_hash) VALUES ($t, $a, $d, $u, $h)
                    ON CONFLICT (tunnel_id) DO UPDATE SET allow = excluded.allow, deny = excluded.deny,
                        password_user = excluded.password_user, password_hash = excluded.password_hash
                    """;
                command.Parameters.AddWithValue("$t", tunnelId);
                command.Parameters.AddWithValue("$a", string.Join(' ', access.Allow));
                command.Parameters.AddWithValue("$d", string.Join(' ', access.Deny));
                command.Parameters.AddWithValue("$u", (object?)access.PasswordUser ?? DBNull.Value);
                command.Parameters.AddWithValue("$h", (object?)access.PasswordHash ?? DBNull.Value);
            }
            await command.ExecuteNonQueryAsync();
            if (access.IsOpen) _rules.TryRemove(tunnelId, out _);
            else _rules[tunnelId] = access;
        }
        finally
        {
            _gate.Release();
        }
    }

    private static List<IPNetwork> Networks(string stored) =>
        stored.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(n => IPNetwork.Parse(n)).ToList();

    public async ValueTask DisposeAsync()
    {
        await _connection.DisposeAsync();
        _gate.Dispose();
    }
}
