using System.Collections.Concurrent;
using System.Data;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;

namespace Spokes.Api.Storage.Sqlite;

/// <summary>
/// The local profile's chat database: one SQLite file in WAL mode (readers never wait for the writer),
/// its schema versioned with <c>PRAGMA user_version</c> and brought up to date at start.
/// </summary>
public sealed class SqliteDatabase
{
    private readonly string _connectionString;

    // SQLite has one writer at a time, and most of a short write's time is its commit (the WAL's write and fsync).
    // Writes of this process queue here instead of meeting SQLITE_BUSY, whose retry loop sleeps and turns contention
    // into long tail latencies, and the writes queued while one batch runs are committed together as the next (group
    // commit); other processes still wait on the busy timeout.
    private const int MaxBatch = 64;
    private readonly ConcurrentQueue<IQueuedWrite> _writes = new();
    private int _draining;
    private readonly SemaphoreSlim _writer = new(1, 1);

    // Connections stay open between uses, each with the statements prepared on it: opening a connection and
    // preparing a statement cost about as much as running one of the short statements the stores run.
    private const int MaxIdleConnections = 32;
    private const int MaxPreparedPerConnection = 256;
    private readonly ConcurrentBag<SqliteConnection> _idle = [];
    private static readonly ConditionalWeakTable<SqliteConnection, Dictionary<string, SqliteCommand>> Prepared = new();

    // Each entry moves the schema one version forward; entries are never edited once released.
    private static readonly string[] Migrations =
    [
        """
        CREATE TABLE accounts (
            id TEXT PRIMARY KEY,
            email TEXT NOT NULL,
            email_normalised TEXT NOT NULL UNIQUE,
            password TEXT NOT NULL,
            verified INTEGER NOT NULL,
            disabled INTEGER NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE TABLE sessions (
            id TEXT PRIMARY KEY,
            user_id TEXT NOT NULL,
            token TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            last_seen TEXT NOT NULL
        );
        CREATE INDEX sessions_by_user ON sessions (user_id, id);
        CREATE TABLE users (
            id TEXT PRIMARY KEY,
            username TEXT NOT NULL,
            username_lower TEXT NOT NULL,
            discriminator TEXT NOT NULL,
            display_name TEXT,
            badges INTEGER NOT NULL,
            flags INTEGER NOT NULL,
            privileged INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            UNIQUE (username_lower, discriminator)
        );
        """,
        """
        CREATE TABLE relationships (
            user_id TEXT NOT NULL,
            other_id TEXT NOT NULL,
            status TEXT NOT NULL,
            PRIMARY KEY (user_id, other_id)
        );
        """,
        """
        ALTER TABLE users ADD COLUMN status_text TEXT;
        ALTER TABLE users ADD COLUMN status_presence TEXT;
        ALTER TABLE users ADD COLUMN profile_content TEXT;
        """,
        """
        CREATE TABLE servers (
            id TEXT PRIMARY KEY,
            document TEXT NOT NULL
        );
        CREATE TABLE channels (
            id TEXT PRIMARY KEY,
            channel_type TEXT NOT NULL,
            server_id TEXT,
            document TEXT NOT NULL
        );
        CREATE INDEX channels_by_server ON channels (server_id) WHERE server_id IS NOT NULL;
        CREATE TABLE channel_users (
            user_id TEXT NOT NULL,
            channel_id TEXT NOT NULL,
            PRIMARY KEY (user_id, channel_id)
        );
        CREATE INDEX channel_users_by_channel ON channel_users (channel_id);
        CREATE TABLE members (
            server_id TEXT NOT NULL,
            user_id TEXT NOT NULL,
            document TEXT NOT NULL,
            PRIMARY KEY (server_id, user_id)
        );
        CREATE INDEX members_by_user ON members (user_id);
        CREATE TABLE bans (
            server_id TEXT NOT NULL,
            user_id TEXT NOT NULL,
            document TEXT NOT NULL,
            PRIMARY KEY (server_id, user_id)
        );
        CREATE TABLE invites (
            code TEXT PRIMARY KEY,
            server_id TEXT,
            channel_id TEXT NOT NULL,
            document TEXT NOT NULL
        );
        CREATE INDEX invites_by_server ON invites (server_id) WHERE server_id IS NOT NULL;
        CREATE INDEX invites_by_channel ON invites (channel_id);
        """,
        """
        ALTER TABLE accounts ADD COLUMN state TEXT;
        ALTER TABLE accounts ADD COLUMN verification_token TEXT;
        ALTER TABLE accounts ADD COLUMN reset_token TEXT;
        ALTER TABLE accounts ADD COLUMN deletion_token TEXT;
        ALTER TABLE accounts ADD COLUMN deletion_after TEXT;
        CREATE UNIQUE INDEX accounts_by_verification_token ON accounts (verification_token) WHERE verification_token IS NOT NULL;
        CREATE UNIQUE INDEX accounts_by_reset_token ON accounts (reset_token) WHERE reset_token IS NOT NULL;
        CREATE UNIQUE INDEX accounts_by_deletion_token ON accounts (deletion_token) WHERE deletion_token IS NOT NULL;
        CREATE INDEX accounts_by_deletion_after ON accounts (deletion_after) WHERE deletion_after IS NOT NULL;
        CREATE TABLE mfa_tickets (
            id TEXT PRIMARY KEY,
            account_id TEXT NOT NULL,
            token TEXT NOT NULL UNIQUE,
            document TEXT NOT NULL
        );
        CREATE INDEX mfa_tickets_by_account ON mfa_tickets (account_id);
        CREATE TABLE signup_invites (
            code TEXT PRIMARY KEY,
            claimed_by TEXT
        );
        CREATE TABLE channel_unreads (
            user_id TEXT NOT NULL,
            channel_id TEXT NOT NULL,
            document TEXT NOT NULL,
            PRIMARY KEY (user_id, channel_id)
        );
        """,
        """
        CREATE TABLE messages (
            seq INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            channel_id TEXT NOT NULL,
            pinned INTEGER NOT NULL,
            document TEXT NOT NULL
        );
        CREATE UNIQUE INDEX messages_by_channel ON messages (channel_id, id);
        CREATE INDEX messages_pinned ON messages (channel_id, id) WHERE pinned = 1;
        CREATE VIRTUAL TABLE message_search USING fts5 (content, tokenize = 'unicode61 remove_diacritics 2');
        CREATE TABLE outbox (
            id TEXT PRIMARY KEY,
            message_type TEXT NOT NULL,
            body TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE TABLE user_settings (
            user_id TEXT NOT NULL,
            key TEXT NOT NULL,
            timestamp INTEGER NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (user_id, key)
        );
        """,
        """
        ALTER TABLE users ADD COLUMN bot_owner TEXT;
        CREATE TABLE bots (
            id TEXT PRIMARY KEY,
            owner_id TEXT NOT NULL,
            token TEXT NOT NULL UNIQUE,
            document TEXT NOT NULL
        );
        CREATE INDEX bots_by_owner ON bots (owner_id);
        CREATE TABLE webhooks (
            id TEXT PRIMARY KEY,
            channel_id TEXT NOT NULL,
            token TEXT NOT NULL,
            document TEXT NOT NULL
        );
        CREATE INDEX webhooks_by_channel ON webhooks (channel_id);
        """,
        """
        CREATE TABLE emojis (
            id TEXT PRIMARY KEY,
            server_id TEXT,
            document TEXT NOT NULL
        );
        CREATE INDEX emojis_by_server ON emojis (server_id) WHERE server_id IS NOT NULL;
        CREATE TABLE safety_reports (
            id TEXT PRIMARY KEY,
            document TEXT NOT NULL
        );
        """,
        """
        ALTER TABLE channels ADD COLUMN direct_key TEXT;
        -- Where a DM was opened twice at once before this version, the first made stays the DM.
        WITH keyed AS (
            SELECT id, CASE channel_type WHEN 'SavedMessages' THEN json_extract(document, '$.user')
                ELSE min(json_extract(document, '$.recipients[0]'), json_extract(document, '$.recipients[1]')) || ':' ||
                     max(json_extract(document, '$.recipients[0]'), json_extract(document, '$.recipients[1]')) END AS key
            FROM channels WHERE channel_type IN ('SavedMessages', 'DirectMessage'))
        UPDATE channels SET direct_key = (SELECT key FROM keyed WHERE keyed.id = channels.id)
        WHERE id IN (SELECT min(id) FROM keyed GROUP BY key);
        CREATE UNIQUE INDEX channels_by_direct_key ON channels (direct_key) WHERE direct_key IS NOT NULL;
        """,
        """
        ALTER TABLE members ADD COLUMN pending_deletion_at TEXT;
        """,
        """
        ALTER TABLE sessions ADD COLUMN subscription TEXT;
        """,
        """
        ALTER TABLE users ADD COLUMN avatar TEXT;
        ALTER TABLE users ADD COLUMN profile_background TEXT;
        """,
        """
        CREATE TABLE external_identities (
            issuer TEXT NOT NULL,
            subject TEXT NOT NULL,
            account_id TEXT NOT NULL,
            PRIMARY KEY (issuer, subject)
        );
        """,
        """
        CREATE TABLE keyring (
            id TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        """,
        """
        CREATE TABLE message_search_progress (indexed_through INTEGER NOT NULL);
        INSERT INTO message_search_progress SELECT coalesce(max(seq), 0) FROM messages;
        """,
    ];

    public SqliteDatabase(string connectionString)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString)
        {
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            // Also how long a writer waits for another writer's lock before giving up.
            DefaultTimeout = 30,
        };
        if (Path.GetDirectoryName(Path.GetFullPath(builder.DataSource)) is { } folder) Directory.CreateDirectory(folder);
        _connectionString = builder.ToString();
    }

    public async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken = default)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        await ExecuteAsync(connection, SynchronousFull, cancellationToken);
        return connection;
    }

    public async Task MigrateAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await ExecuteAsync(connection, "PRAGMA journal_mode = WAL;", cancellationToken);
        while (true)
        {
            // The version is read under the write lock (BEGIN IMMEDIATE): replicas starting together on a fresh
            // database would otherwise both see it empty and both create the schema.
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            var next = Convert.ToInt32(await ScalarAsync(connection, "PRAGMA user_version;", cancellationToken));
            if (next >= Migrations.Length) return;
            await ExecuteAsync(connection, Migrations[next] + $"\nPRAGMA user_version = {next + 1};", cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
    }

    private static async Task ExecuteAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<object?> ScalarAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync(cancellationToken);
    }

    /// <summary>Runs one statement with named parameters (<c>$name</c>); returns the rows it changed.</summary>
    public Task<int> ExecuteAsync(string sql, IReadOnlyDictionary<string, object?> parameters, CancellationToken cancellationToken = default) =>
        WriteTransactionAsync((connection, transaction) => RunAsync(connection, transaction, sql, parameters, cancellationToken), cancellationToken);

    /// <summary>
    /// Runs one statement whose loss in a power failure costs only work done again (removing outbox entries already
    /// published: they are published again, and consumers drop the repeat). Its commit does not wait for the disk
    /// (<c>synchronous = NORMAL</c>) unless it shares a batch with writes that do; the next commit that waits carries it
    /// there, since the WAL is synced as a whole. A process that ends without a power failure loses nothing.
    /// </summary>
    public Task<int> ExecuteUnsyncedAsync(string sql, IReadOnlyDictionary<string, object?> parameters, CancellationToken cancellationToken = default) =>
        WriteAsync((connection, transaction) => RunAsync(connection, transaction, sql, parameters, cancellationToken), synced: false, cancellationToken);

    /// <summary>Runs a statement SQLite refuses inside a transaction (<c>VACUUM</c>, a checkpoint), between batches of writes.</summary>
    public async Task RunOutsideTransactionAsync(string sql, CancellationToken cancellationToken = default)
    {
        await _writer.WaitAsync(cancellationToken);
        using var release = Release();
        using var lease = await RentAsync(cancellationToken);
        await ExecuteAsync(lease.Connection, sql, cancellationToken);
        lease.Succeeded(true);
    }

    // "… UNIQUE constraint failed: users.username_lower, users.discriminator'." names the rule by its first column.
    private static DuplicateKeyException Duplicate(SqliteException e)
    {
        var column = System.Text.RegularExpressions.Regex.Match(e.Message, @"failed: \w+\.(\w+)").Groups[1].Value;
        return new DuplicateKeyException(column.Replace("_normalised", "").Replace("_lower", ""));
    }

    /// <summary>Runs several statements in one transaction: all of them happen, or none.</summary>
    public Task ExecuteInTransactionAsync(IEnumerable<(string Sql, IReadOnlyDictionary<string, object?> Parameters)> statements,
        CancellationToken cancellationToken = default) =>
        WriteTransactionAsync(async (connection, transaction) =>
        {
            foreach (var (sql, parameters) in statements) await RunAsync(connection, transaction, sql, parameters, cancellationToken);
            return true;
        }, cancellationToken);

    /// <summary>Runs a query and maps every row.</summary>
    public async Task<List<T>> QueryAsync<T>(string sql, IReadOnlyDictionary<string, object?> parameters, Func<SqliteDataReader, T> map,
        CancellationToken cancellationToken = default)
    {
        using var lease = await RentAsync(cancellationToken);
        var command = Command(lease.Connection, sql, parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<T>();
        while (await reader.ReadAsync(cancellationToken)) rows.Add(map(reader));
        return lease.Succeeded(rows);
    }

    /// <summary>
    /// Runs <paramref name="work"/> in a write transaction taken at once (<c>BEGIN IMMEDIATE</c>), so a read-modify-write
    /// inside it cannot interleave with another writer. Writes queued meanwhile share the transaction, one after
    /// another, each in a savepoint of its own: one that throws is rolled back alone and gets its exception, and each
    /// returns only once the transaction has committed.
    /// </summary>
    public Task<T> WriteTransactionAsync<T>(Func<SqliteConnection, SqliteTransaction, Task<T>> work, CancellationToken cancellationToken = default) =>
        WriteAsync(work, synced: true, cancellationToken);

    private async Task<T> WriteAsync<T>(Func<SqliteConnection, SqliteTransaction, Task<T>> work, bool synced, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var write = new QueuedWrite<T>(work, cancellationToken, synced);
        _writes.Enqueue(write);
        // The writer that finds no batch running runs the next one itself, so a lone write takes no thread hop.
        if (Interlocked.CompareExchange(ref _draining, 1, 0) == 0) await RunBatchAsync();
        return await write.Result;
    }

    /// <summary>Runs the queued writes as one batch; hands what was queued meanwhile to the thread pool as the next.</summary>
    private async Task RunBatchAsync()
    {
        var batch = new List<IQueuedWrite>();
        while (batch.Count < MaxBatch && _writes.TryDequeue(out var queued)) batch.Add(queued);
        await CommitTogetherAsync(batch);
        Volatile.Write(ref _draining, 0);
        if (!_writes.IsEmpty && Interlocked.CompareExchange(ref _draining, 1, 0) == 0) _ = Task.Run(RunBatchAsync);
    }

    /// <summary>
    /// Every write hears its outcome once the transaction has ended, its failure too: a write refused because of one
    /// before it in the batch (a duplicate key, say) must find that one committed when it looks again.
    /// </summary>
    private async Task CommitTogetherAsync(List<IQueuedWrite> batch)
    {
        var applied = new List<IQueuedWrite>(batch.Count);
        var refused = new List<(IQueuedWrite Write, Exception Error)>();
        try
        {
            await _writer.WaitAsync();
            using var release = Release();
            using var lease = await RentAsync(CancellationToken.None);
            var synced = batch.Exists(write => write.Synced);
            if (!synced) await ExecuteAsync(lease.Connection, "PRAGMA synchronous = NORMAL;", CancellationToken.None);
            await using var transaction = lease.Connection.BeginTransaction(IsolationLevel.Serializable, deferred: false);
            foreach (var write in batch)
            {
                transaction.Save("write");
                try
                {
                    await write.RunAsync(lease.Connection, transaction);
                    transaction.Release("write");
                    applied.Add(write);
                }
                catch (Exception e)
                {
                    transaction.Rollback("write");
                    transaction.Release("write");
                    refused.Add((write, e is SqliteException { SqliteExtendedErrorCode: 2067 or 1555 } duplicate ? Duplicate(duplicate) : e));
                }
            }
            // A commit is not cancelled halfway for one of the writers that share it.
            await transaction.CommitAsync(CancellationToken.None);
            // Back to the pool only with the setting every other write expects; one that cannot say so is closed.
            if (synced || await TrySynchronousFullAsync(lease.Connection)) lease.Succeeded(true);
        }
        catch (Exception e)
        {
            // Nothing of the batch was committed: every write fails with it.
            foreach (var write in batch) write.Fail(e);
            return;
        }
        foreach (var write in applied) write.Complete();
        foreach (var (write, error) in refused) write.Fail(error);
    }

    private static async Task<bool> TrySynchronousFullAsync(SqliteConnection connection)
    {
        try
        {
            await ExecuteAsync(connection, SynchronousFull, CancellationToken.None);
            return true;
        }
        catch (SqliteException)
        {
            return false;
        }
    }

    /// <summary>Every commit waits for the disk unless a write says it need not (<see cref="ExecuteUnsyncedAsync"/>).</summary>
    private const string SynchronousFull = "PRAGMA synchronous = FULL;";

    private interface IQueuedWrite
    {
        /// <summary>Whether its commit must be on disk before it is told (<c>synchronous = FULL</c>, every connection's setting).</summary>
        bool Synced { get; }

        Task RunAsync(SqliteConnection connection, SqliteTransaction transaction);

        void Complete();

        void Fail(Exception exception);
    }

    private sealed class QueuedWrite<T>(Func<SqliteConnection, SqliteTransaction, Task<T>> work, CancellationToken cancellationToken, bool synced) : IQueuedWrite
    {
        public bool Synced => synced;

        private readonly TaskCompletionSource<T> _result = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private T _value = default!;

        public Task<T> Result => _result.Task;

        public async Task RunAsync(SqliteConnection connection, SqliteTransaction transaction)
        {
            // A writer that gave up while queued is not run.
            cancellationToken.ThrowIfCancellationRequested();
            _value = await work(connection, transaction);
        }

        public void Complete() => _result.TrySetResult(_value);

        public void Fail(Exception exception)
        {
            if (exception is OperationCanceledException && cancellationToken.IsCancellationRequested) _result.TrySetCanceled(cancellationToken);
            else _result.TrySetException(exception);
        }
    }

    private Releaser Release() => new(_writer);

    /// <summary>An open connection of the pool's, or a new one when all are in use.</summary>
    private async Task<Lease> RentAsync(CancellationToken cancellationToken) =>
        new(this, _idle.TryTake(out var idle) ? idle : await OpenAsync(cancellationToken));

    /// <summary>
    /// A connection rented from the pool until disposed. It goes back only once its work <see cref="Succeeded"/>: after a
    /// failure (a cancelled commit, say) it might be left inside a transaction, so it is closed instead.
    /// </summary>
    private sealed class Lease(SqliteDatabase database, SqliteConnection connection) : IDisposable
    {
        private bool _succeeded;

        public SqliteConnection Connection => connection;

        public T Succeeded<T>(T result)
        {
            _succeeded = true;
            return result;
        }

        public void Dispose()
        {
            if (_succeeded && connection.State == ConnectionState.Open && database._idle.Count < MaxIdleConnections) database._idle.Add(connection);
            else connection.Dispose();
        }
    }

    private readonly struct Releaser(SemaphoreSlim semaphore) : IDisposable
    {
        public void Dispose() => semaphore.Release();
    }

    /// <summary>Runs one statement of a <see cref="WriteTransactionAsync{T}"/>; returns the rows it changed.</summary>
    public static async Task<int> RunAsync(SqliteConnection connection, SqliteTransaction transaction, string sql,
        IReadOnlyDictionary<string, object?> parameters, CancellationToken cancellationToken)
    {
        var command = Command(connection, sql, parameters);
        command.Transaction = transaction;
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Reads the first row a query of a <see cref="WriteTransactionAsync{T}"/> finds; null when it finds none.</summary>
    public static async Task<T?> ReadFirstAsync<T>(SqliteConnection connection, SqliteTransaction transaction, string sql,
        IReadOnlyDictionary<string, object?> parameters, Func<SqliteDataReader, T> map, CancellationToken cancellationToken) where T : class
    {
        var command = Command(connection, sql, parameters);
        command.Transaction = transaction;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? map(reader) : null;
    }

    /// <summary>
    /// The statement <paramref name="sql"/> prepared on <paramref name="connection"/> (once per connection), with these
    /// parameters and outside any transaction. It belongs to the connection: run it, dispose its reader, never dispose it.
    /// </summary>
    public static SqliteCommand Command(SqliteConnection connection, string sql, IReadOnlyDictionary<string, object?> parameters)
    {
        var prepared = Prepared.GetOrCreateValue(connection);
        if (!prepared.TryGetValue(sql, out var command))
        {
            // Statements built from the shape of a request (an IN list, an update's fields) vary without end: past the bound, start over.
            if (prepared.Count >= MaxPreparedPerConnection)
            {
                foreach (var stale in prepared.Values) stale.Dispose();
                prepared.Clear();
            }
            command = connection.CreateCommand();
            command.CommandText = sql;
            prepared[sql] = command;
        }
        command.Transaction = null;
        command.Parameters.Clear();
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue("$" + name, value ?? DBNull.Value);
        return command;
    }
}
