using System.Security.Cryptography;
using Microsoft.Data.Sqlite;
using Spokes.Contracts.Tunnels;

namespace Spokes.TunnelEdge.Store;

/// <summary>
/// The edge's SQLite database (<c>spokes.db</c>): registration and authentication tokens, users, tunnels,
/// claimed host names, port allocations and daily bandwidth. One connection, one caller at a time: the edge
/// writes rarely (a client connecting, an admin command, a batch of counters every few seconds).
/// </summary>
public sealed class EdgeStore : IAsyncDisposable
{
    private const string TokenAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
    private readonly SqliteConnection _connection;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly TimeProvider _time;
    private SqliteTransaction? _transaction;

    private EdgeStore(SqliteConnection connection, TimeProvider time)
    {
        _connection = connection;
        _time = time;
    }

    public static async Task<EdgeStore> OpenAsync(string path, TimeProvider time)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        await connection.OpenAsync();
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var store = new EdgeStore(connection, time);
        await store.ExecuteAsync(Schema);
        return store;
    }

    // Tunnel states where the SQL text names them (TunnelState's numbers; constants, never input).
    private const int StateOnline = (int)TunnelState.Online;
    private const int StateShutdown = (int)TunnelState.Shutdown;
    private const int StateDeleted = (int)TunnelState.Deleted;

    private static readonly string Schema = $"""
        PRAGMA journal_mode = WAL;
        PRAGMA synchronous = NORMAL;
        PRAGMA foreign_keys = ON;
        CREATE TABLE IF NOT EXISTS registration_tokens (
            id INTEGER PRIMARY KEY, token TEXT NOT NULL UNIQUE, description TEXT NOT NULL,
            uses INTEGER NOT NULL DEFAULT 0, created INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS users (id TEXT PRIMARY KEY, created INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS tunnels (
            id INTEGER PRIMARY KEY, user_id TEXT REFERENCES users(id), hostname TEXT NOT NULL, state INTEGER NOT NULL,
            address TEXT NOT NULL DEFAULT '', uptime INTEGER NOT NULL DEFAULT 0, created INTEGER NOT NULL,
            last_active INTEGER, version TEXT, os TEXT, arch TEXT);
        CREATE UNIQUE INDEX IF NOT EXISTS tunnels_live_hostname ON tunnels(hostname) WHERE state <> {StateDeleted};
        CREATE TABLE IF NOT EXISTS auth_tokens (
            id INTEGER PRIMARY KEY, token TEXT NOT NULL UNIQUE, tunnel_id INTEGER NOT NULL REFERENCES tunnels(id),
            active INTEGER NOT NULL DEFAULT 1, created INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS http_domains (
            domain TEXT PRIMARY KEY, tunnel_id INTEGER NOT NULL REFERENCES tunnels(id), created INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS ports (
            port INTEGER PRIMARY KEY, tunnel_id INTEGER NOT NULL, created INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS ssh_keys (
            id INTEGER PRIMARY KEY, token_id INTEGER NOT NULL REFERENCES auth_tokens(id), type TEXT NOT NULL,
            blob BLOB NOT NULL UNIQUE, comment TEXT NOT NULL, created INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS bandwidth (
            tunnel_id INTEGER NOT NULL, service TEXT NOT NULL, day TEXT NOT NULL, bytes INTEGER NOT NULL,
            PRIMARY KEY (tunnel_id, service, day));
        """;

    private long Now => _time.GetUtcNow().ToUnixTimeSeconds();

    private string Today => _time.GetUtcNow().ToString("yyyy-MM-dd");

    private string ThisMonth => _time.GetUtcNow().ToString("yyyy-MM");

    private static string NewToken() => RandomNumberGenerator.GetString(TokenAlphabet, 40);

    // Registration tokens

    public Task<List<RegistrationRow>> ListRegistrationsAsync() => LockedAsync(() => QueryAsync(
        "SELECT id, token, description, uses, created FROM registration_tokens ORDER BY id",
        r => new RegistrationRow(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetInt32(3), r.GetInt64(4))));

    public Task<RegistrationRow> CreateRegistrationAsync(string description) => LockedAsync(async () =>
    {
        var token = NewToken();
        var id = await ScalarAsync<long>("INSERT INTO registration_tokens (token, description, created) VALUES ($t, $d, $c) RETURNING id",
            ("$t", token), ("$d", description), ("$c", Now));
        return new RegistrationRow(id, token, description, 0, Now);
    });

    public Task<int> RemoveRegistrationsAsync(long? id) => LockedAsync(() => id is { } one
        ? ExecuteAsync("DELETE FROM registration_tokens WHERE id = $id", ("$id", one))
        : ExecuteAsync("DELETE FROM registration_tokens"));

    /// <summary>Exchanges a registration token for a new tunnel and its authentication token.</summary>
    public Task<(string Token, long TunnelId, string Hostname)> RegisterAsync(string registration, string? user, string hostname) => TransactionAsync(async () =>
    {
        var used = await ExecuteAsync("UPDATE registration_tokens SET uses = uses + 1 WHERE token = $t", ("$t", registration));
        if (used == 0) throw new TunnelRefusedException(TunnelErrorCodes.InvalidRegistration, "The registration token is not valid.");
        if (user is not null) await ExecuteAsync("INSERT OR IGNORE INTO users (id, created) VALUES ($u, $c)", ("$u", user), ("$c", Now));
        var (token, tunnelId) = await CreateTunnelAsync(user, hostname);
        return (token, tunnelId, hostname);
    });

    // Authentication tokens

    public Task<TokenRow> CreateTokenAsync(string hostname) => TransactionAsync(async () =>
    {
        var (token, tunnelId) = await CreateTunnelAsync(null, hostname);
        var id = await ScalarAsync<long>("SELECT id FROM auth_tokens WHERE token = $t", ("$t", token));
        return new TokenRow(id, token, hostname, tunnelId, true, Now);
    });

    private async Task<(string Token, long TunnelId)> CreateTunnelAsync(string? user, string hostname)
    {
        if (await HostnameOwnerAsync(hostname) is not null)
            throw new TunnelRefusedException(TunnelErrorCodes.HostnameTaken, $"{hostname} belongs to another tunnel.");
        var tunnelId = await ScalarAsync<long>(
            "INSERT INTO tunnels (user_id, hostname, state, created) VALUES ($u, $h, $s, $c) RETURNING id",
            ("$u", user), ("$h", hostname), ("$s", (int)TunnelState.Init), ("$c", Now));
        var token = NewToken();
        await ExecuteAsync("INSERT INTO auth_tokens (token, tunnel_id, created) VALUES ($t, $tun, $c)", ("$t", token), ("$tun", tunnelId), ("$c", Now));
        return (token, tunnelId);
    }

    public Task<List<TokenRow>> ListTokensAsync() => LockedAsync(() => QueryAsync(
        "SELECT a.id, a.token, t.hostname, a.tunnel_id, a.active, a.created FROM auth_tokens a JOIN tunnels t ON t.id = a.tunnel_id ORDER BY a.id",
        r => new TokenRow(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetInt64(3), r.GetBoolean(4), r.GetInt64(5))));

    /// <summary>Disables one token (or all) and marks their tunnels shut down; returns those tunnels.</summary>
    public Task<List<long>> RemoveTokensAsync(long? id) => TransactionAsync(async () =>
    {
        var filter = id is null ? "active = 1" : "id = $id";
        var tunnels = await QueryAsync($"SELECT tunnel_id FROM auth_tokens WHERE {filter}", r => r.GetInt64(0), ("$id", id));
        await ExecuteAsync($"UPDATE auth_tokens SET active = 0 WHERE {filter}", ("$id", id));
        foreach (var tunnel in tunnels)
        {
            await ExecuteAsync("UPDATE tunnels SET state = $s WHERE id = $id AND state <> $deleted",
                ("$s", (int)TunnelState.Shutdown), ("$id", tunnel), ("$deleted", (int)TunnelState.Deleted));
        }
        return tunnels;
    });

    public Task<TokenGrant?> FindTokenAsync(string token) => LockedAsync(async () => (await QueryAsync(
        $"SELECT a.id, a.tunnel_id, t.hostname, a.active AND t.state NOT IN ({StateShutdown}, {StateDeleted}) FROM auth_tokens a JOIN tunnels t ON t.id = a.tunnel_id WHERE a.token = $t",
        r => new TokenGrant(r.GetInt64(0), r.GetInt64(1), r.GetString(2), r.GetBoolean(3)), ("$t", token))).SingleOrDefault());

    // SSH public keys: each signs in to the SSH front door as its token

    /// <summary>Registers a key for an active token (null when there is none with that id); a key belongs to one token only.</summary>
    public Task<SshKeyRow?> AddSshKeyAsync(long tokenId, Ssh.SshAuthorizedKey key) => TransactionAsync(async () =>
    {
        var hostname = (await QueryAsync("SELECT t.hostname FROM auth_tokens a JOIN tunnels t ON t.id = a.tunnel_id WHERE a.id = $id AND a.active = 1",
            r => r.GetString(0), ("$id", tokenId))).SingleOrDefault();
        if (hostname is null) return null;
        var id = await ScalarAsync<long>("INSERT INTO ssh_keys (token_id, type, blob, comment, created) VALUES ($t, $ty, $b, $c, $now) RETURNING id",
            ("$t", tokenId), ("$ty", key.Type), ("$b", key.Blob), ("$c", key.Comment), ("$now", Now));
        return new SshKeyRow(id, tokenId, hostname, key.Type, key.Fingerprint, key.Comment, Now);
    });

    public Task<List<SshKeyRow>> ListSshKeysAsync() => LockedAsync(() => QueryAsync(
        "SELECT k.id, k.token_id, t.hostname, k.type, k.blob, k.comment, k.created FROM ssh_keys k JOIN auth_tokens a ON a.id = k.token_id JOIN tunnels t ON t.id = a.tunnel_id ORDER BY k.id",
        r => new SshKeyRow(r.GetInt64(0), r.GetInt64(1), r.GetString(2), r.GetString(3), Ssh.SshAuthorizedKey.Fingerprints((byte[])r[4]), r.GetString(5), r.GetInt64(6))));

    public Task<int> RemoveSshKeysAsync(long? id) => LockedAsync(() => id is { } one
        ? ExecuteAsync("DELETE FROM ssh_keys WHERE id = $id", ("$id", one))
        : ExecuteAsync("DELETE FROM ssh_keys"));

    /// <summary>The token a key (its SSH blob) signs in as; null when it is not registered. Read at each sign-in.</summary>
    public Task<string?> TokenForSshKeyAsync(byte[] blob) => LockedAsync(async () => (await QueryAsync(
        "SELECT a.token FROM ssh_keys k JOIN auth_tokens a ON a.id = k.token_id WHERE k.blob = $b", r => r.GetString(0), ("$b", blob))).SingleOrDefault());

    // Routes

    private async Task<long?> HostnameOwnerAsync(string name) =>
        (await QueryAsync($"SELECT tunnel_id FROM http_domains WHERE domain = $d UNION SELECT id FROM tunnels WHERE hostname = $d AND state <> {StateDeleted}",
            r => (long?)r.GetInt64(0), ("$d", name))).FirstOrDefault();

    /// <summary>Whether a live tunnel with an active token serves the name (its hostname or a name it claimed).</summary>
    public Task<bool> IsOwnedAsync(string name) => LockedAsync(async () => (await QueryAsync($"""
        SELECT 1 FROM tunnels t
        WHERE t.state NOT IN ({StateShutdown}, {StateDeleted})
          AND (t.hostname = $d OR EXISTS (SELECT 1 FROM http_domains h WHERE h.domain = $d AND h.tunnel_id = t.id))
          AND EXISTS (SELECT 1 FROM auth_tokens a WHERE a.tunnel_id = t.id AND a.active = 1)
        """, r => r.GetInt32(0), ("$d", name))).Count > 0);

    /// <summary>
    /// Reserves the names a tunnel serves; the first tunnel to claim a name keeps it (even offline) until
    /// it is cleaned. All or nothing.
    /// </summary>
    public Task ClaimDomainsAsync(long tunnelId, IEnumerable<string> domains) => TransactionAsync(async () =>
    {
        foreach (var domain in domains)
        {
            var owner = await HostnameOwnerAsync(domain);
            if (owner is { } other && other != tunnelId)
                throw new TunnelRefusedException(TunnelErrorCodes.HostnameTaken, $"{domain} belongs to another tunnel.");
            if (owner is null) await ExecuteAsync("INSERT INTO http_domains (domain, tunnel_id, created) VALUES ($d, $t, $c)", ("$d", domain), ("$t", tunnelId), ("$c", Now));
        }
        return 0;
    });

    public Task<HashSet<int>> PortsOfAsync(long tunnelId) => LockedAsync(async () =>
        (await QueryAsync("SELECT port FROM ports WHERE tunnel_id = $t", r => r.GetInt32(0), ("$t", tunnelId))).ToHashSet());

    /// <summary>Reserves the lowest free port of the range for the tunnel.</summary>
    public Task<int> AllocatePortAsync(long tunnelId, PortRangeOptions range, int maxPorts) => TransactionAsync(async () =>
    {
        var taken = (await QueryAsync("SELECT port, tunnel_id FROM ports", r => (Port: r.GetInt32(0), Tunnel: r.GetInt64(1)))).ToList();
        if (taken.Count(p => p.Tunnel == tunnelId) >= maxPorts)
            throw new TunnelRefusedException(TunnelErrorCodes.NoPortsLeft, maxPorts == 0 ? "This edge reserves no TCP ports for tunnels." : $"A tunnel may reserve {maxPorts} ports; it has them all.");
        var used = taken.Select(p => p.Port).ToHashSet();
        var port = Enumerable.Range(range.Begin, range.End - range.Begin + 1).FirstOrDefault(p => !used.Contains(p));
        if (port == 0) throw new TunnelRefusedException(TunnelErrorCodes.NoPortsLeft, "Every port of the edge's range is reserved.");
        await ExecuteAsync("INSERT INTO ports (port, tunnel_id, created) VALUES ($p, $t, $c)", ("$p", port), ("$t", tunnelId), ("$c", Now));
        return port;
    });

    // Sessions: online state is written at once; counters in batches (FlushAsync)

    public Task SetOnlineAsync(long tunnelId, string address, string version, string os, string arch) => LockedAsync(() => ExecuteAsync(
        "UPDATE tunnels SET state = $s, address = $a, version = $v, os = $o, arch = $arch, last_active = $now WHERE id = $id",
        ("$s", (int)TunnelState.Online), ("$a", address), ("$v", version), ("$o", os), ("$arch", arch), ("$now", Now), ("$id", tunnelId)));

    public Task SetOfflineAsync(long tunnelId) => LockedAsync(() => ExecuteAsync(
        "UPDATE tunnels SET state = $off, last_active = $now WHERE id = $id AND state = $on",
        ("$off", (int)TunnelState.Offline), ("$now", Now), ("$id", tunnelId), ("$on", (int)TunnelState.Online)));

    /// <summary>After a restart nothing is online: tunnels left marked online by a crash are set offline.</summary>
    public Task<int> MarkAllOfflineAsync() => LockedAsync(() => ExecuteAsync(
        "UPDATE tunnels SET state = $off WHERE state = $on", ("$off", (int)TunnelState.Offline), ("$on", (int)TunnelState.Online)));

    /// <summary>Adds counted bytes (per tunnel and service) and online seconds (per tunnel) in one transaction.</summary>
    public Task FlushAsync(IReadOnlyDictionary<(long Tunnel, string Service), long> bytes, IReadOnlyDictionary<long, long> uptimeSeconds) => TransactionAsync(async () =>
    {
        if (bytes.Count == 0 && uptimeSeconds.Count == 0) return 0;
        foreach (var ((tunnel, service), count) in bytes)
        {
            await ExecuteAsync("""
                INSERT INTO bandwidth (tunnel_id, service, day, bytes) VALUES ($t, $s, $d, $b)
                ON CONFLICT (tunnel_id, service, day) DO UPDATE SET bytes = bytes + excluded.bytes
                """, ("$t", tunnel), ("$s", service), ("$d", Today), ("$b", count));
        }
        foreach (var (tunnel, seconds) in uptimeSeconds)
        {
            await ExecuteAsync("UPDATE tunnels SET uptime = uptime + $u, last_active = $now WHERE id = $id", ("$u", seconds), ("$now", Now), ("$id", tunnel));
        }
        return 0;
    });

    // Listings

    public Task<List<TunnelRow>> ListTunnelsAsync(bool onlineOnly, bool all) => LockedAsync(() => QueryAsync($"""
        SELECT t.id, t.user_id, t.hostname, t.state, t.address, t.uptime,
               (SELECT COALESCE(SUM(bytes), 0) FROM bandwidth b WHERE b.tunnel_id = t.id AND b.day = $today),
               (SELECT COALESCE(SUM(bytes), 0) FROM bandwidth b WHERE b.tunnel_id = t.id AND b.day LIKE $month),
               t.created
        FROM tunnels t
        WHERE {(onlineOnly ? $"t.state = {StateOnline}" : all ? "1" : $"t.state NOT IN ({StateShutdown}, {StateDeleted})")}
        ORDER BY t.id
        """,
        r => new TunnelRow(r.GetInt64(0), r.IsDBNull(1) ? null : r.GetString(1), r.GetString(2), (TunnelState)r.GetInt32(3), r.GetString(4),
            r.GetInt64(5), r.GetInt64(6), r.GetInt64(7), r.GetInt64(8)),
        ("$today", Today), ("$month", ThisMonth + "-%")));

    public Task<List<PortRow>> ListPortsAsync() => LockedAsync(() => QueryAsync($"""
        SELECT p.port, t.user_id, p.tunnel_id, COALESCE(t.state, {StateDeleted}), COALESCE(t.uptime, 0),
               (SELECT COALESCE(SUM(bytes), 0) FROM bandwidth b WHERE b.tunnel_id = p.tunnel_id AND b.service = 'tcp:' || p.port AND b.day LIKE $month)
        FROM ports p LEFT JOIN tunnels t ON t.id = p.tunnel_id
        ORDER BY p.port
        """,
        r => new PortRow(r.GetInt32(0), r.IsDBNull(1) ? null : r.GetString(1), r.GetInt64(2), (TunnelState)r.GetInt32(3), r.GetInt64(4), r.GetInt64(5)),
        ("$month", ThisMonth + "-%")));

    // Housekeeping

    /// <summary>
    /// Finds (and unless <paramref name="check"/>, fixes) tunnels whose token was removed — deleted, their
    /// names released — and ports whose tunnel is gone, deleted or shut down — released.
    /// </summary>
    public Task<List<CleanIssue>> CleanAsync(bool check) => TransactionAsync(async () =>
    {
        var tunnels = await QueryAsync($"""
            SELECT t.id FROM tunnels t WHERE t.state <> {StateDeleted}
              AND NOT EXISTS (SELECT 1 FROM auth_tokens a WHERE a.tunnel_id = t.id AND a.active = 1)
            ORDER BY t.id
            """, r => r.GetInt64(0));
        var ports = await QueryAsync($"""
            SELECT p.port, p.tunnel_id, t.id IS NULL FROM ports p LEFT JOIN tunnels t ON t.id = p.tunnel_id
            WHERE t.id IS NULL OR t.state IN ({StateShutdown}, {StateDeleted})
               OR NOT EXISTS (SELECT 1 FROM auth_tokens a WHERE a.tunnel_id = p.tunnel_id AND a.active = 1)
            ORDER BY p.port
            """, r => (Port: r.GetInt32(0), Tunnel: r.GetInt64(1), Missing: r.GetBoolean(2)));
        var issues = tunnels.Select(t => new CleanIssue("tunnel", t.ToString(), "its token was removed"))
            .Concat(ports.Select(p => new CleanIssue("port", p.Port.ToString(),
                p.Missing ? $"tunnel {p.Tunnel} does not exist" : $"tunnel {p.Tunnel} was shut down")))
            .ToList();
        if (!check)
        {
            foreach (var tunnel in tunnels)
            {
                await ExecuteAsync($"UPDATE tunnels SET state = {StateDeleted} WHERE id = $id", ("$id", tunnel));
                await ExecuteAsync("DELETE FROM http_domains WHERE tunnel_id = $id", ("$id", tunnel));
            }
            foreach (var port in ports) await ExecuteAsync("DELETE FROM ports WHERE port = $p", ("$p", port.Port));
        }
        return issues;
    });

    // Plumbing

    private async Task<T> LockedAsync<T>(Func<Task<T>> work)
    {
        await _gate.WaitAsync();
        try
        {
            // SQLite blocks, and socket threads run relay continuations inline (SocketCompletions): off to the thread pool.
            return await Task.Run(work);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Runs <paramref name="work"/> in one transaction: committed if it returns, rolled back if it throws.</summary>
    private Task<T> TransactionAsync<T>(Func<Task<T>> work) => LockedAsync(async () =>
    {
        _transaction = (SqliteTransaction)await _connection.BeginTransactionAsync();
        try
        {
            var result = await work();
            await _transaction.CommitAsync();
            return result;
        }
        finally
        {
            await _transaction.DisposeAsync();
            _transaction = null;
        }
    });

    private SqliteCommand Command(string sql, (string Name, object? Value)[] parameters)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = _transaction;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return command;
    }

    private async Task<int> ExecuteAsync(string sql, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(sql, parameters);
        return await command.ExecuteNonQueryAsync();
    }

    private async Task<T> ScalarAsync<T>(string sql, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(sql, parameters);
        return (T)Convert.ChangeType((await command.ExecuteScalarAsync())!, typeof(T));
    }

    private async Task<List<T>> QueryAsync<T>(string sql, Func<SqliteDataReader, T> map, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(sql, parameters);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<T>();
        while (await reader.ReadAsync()) rows.Add(map(reader));
        return rows;
    }

    public async ValueTask DisposeAsync()
    {
        await _connection.DisposeAsync();
        _gate.Dispose();
    }
}
