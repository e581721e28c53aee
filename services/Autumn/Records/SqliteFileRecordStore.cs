using Microsoft.Data.Sqlite;
using Spokes.Autumn.Files;
using FileUseKind = Spokes.Contracts.Files.V1.FileUseKind;

namespace Spokes.Autumn.Records;

/// <summary>
/// The local profile's file records: a SQLite file of Autumn's own (WAL; one writer at a time, queued here), its
/// schema versioned with <c>PRAGMA user_version</c>.
/// </summary>
public sealed class SqliteFileRecordStore(string connectionString) : IFileRecordStore
{
    private readonly SemaphoreSlim _writer = new(1, 1);

    // Each entry moves the schema one version forward; entries are never edited once released.
    private static readonly string[] Migrations =
    [
        """
        CREATE TABLE objects (
            hash TEXT PRIMARY KEY,
            nonce TEXT NOT NULL,
            content_type TEXT NOT NULL,
            size INTEGER NOT NULL,
            metadata_type TEXT NOT NULL,
            width INTEGER NOT NULL,
            height INTEGER NOT NULL,
            created_at INTEGER NOT NULL
        );
        CREATE TABLE files (
            id TEXT PRIMARY KEY,
            tag TEXT NOT NULL,
            filename TEXT NOT NULL,
            hash TEXT NOT NULL,
            uploader_id TEXT NOT NULL,
            uploaded_at INTEGER NOT NULL,
            used_kind INTEGER,
            used_id TEXT,
            used_server_id TEXT,
            deleted INTEGER NOT NULL DEFAULT 0,
            reported INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX files_by_hash ON files (hash);
        CREATE INDEX files_unclaimed ON files (uploaded_at) WHERE used_kind IS NULL AND deleted = 0;
        """,
    ];

    private const string FileColumns = "id, tag, filename, hash, uploader_id, uploaded_at, used_kind, used_id, used_server_id, deleted, reported";

    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await RunAsync(connection, null, "PRAGMA journal_mode = WAL;", [], cancellationToken);
        await using var version = Command(connection, null, "PRAGMA user_version;", []);
        for (var next = Convert.ToInt32(await version.ExecuteScalarAsync(cancellationToken)); next < Migrations.Length; next++)
        {
            await using var transaction = connection.BeginTransaction();
            await RunAsync(connection, transaction, Migrations[next] + $"\nPRAGMA user_version = {next + 1};", [], cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
    }

    public async Task<StoredObject?> GetObjectAsync(string hash, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        var rows = await QueryAsync(connection, null, "SELECT hash, nonce, content_type, size, metadata_type, width, height, created_at FROM objects WHERE hash = $hash",
            [("hash", hash)], ReadObject, cancellationToken);
        return rows.FirstOrDefault();
    }

    public Task AddObjectAsync(StoredObject stored, CancellationToken cancellationToken) =>
        WriteAsync((connection, transaction) => RunAsync(connection, transaction,
            "INSERT INTO objects VALUES ($hash, $nonce, $type, $size, $meta, $width, $height, $at) ON CONFLICT (hash) DO NOTHING",
            [("hash", stored.Hash), ("nonce", stored.Nonce), ("type", stored.ContentType), ("size", stored.Size), ("meta", stored.Metadata.Type),
             ("width", stored.Metadata.Width), ("height", stored.Metadata.Height), ("at", stored.CreatedAt.ToUnixTimeMilliseconds())], cancellationToken),
            cancellationToken);

    public Task AddFileAsync(FileRecord file, CancellationToken cancellationToken) =>
        WriteAsync((connection, transaction) => RunAsync(connection, transaction,
            $"INSERT INTO files ({FileColumns}) VALUES ($id, $tag, $filename, $hash, $uploader, $at, NULL, NULL, NULL, 0, 0)",
            [("id", file.Id), ("tag", file.Tag), ("filename", file.Filename), ("hash", file.Hash), ("uploader", file.UploaderId),
             ("at", file.UploadedAt.ToUnixTimeMilliseconds())], cancellationToken),
            cancellationToken);

    public async Task<FileRecord?> GetFileAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return (await QueryAsync(connection, null, $"SELECT {FileColumns} FROM files WHERE id = $id", [("id", id)], ReadFile, cancellationToken)).FirstOrDefault();
    }

    public Task<ClaimOutcome> ClaimAsync(IReadOnlyList<string> ids, string tag, string uploaderId, FileUsage usage, CancellationToken cancellationToken) =>
        WriteAsync(async (connection, transaction) =>
        {
            var claimed = new List<FileRecord>();
            foreach (var id in ids)
            {
                var file = (await QueryAsync(connection, transaction, $"SELECT {FileColumns} FROM files WHERE id = $id", [("id", id)], ReadFile, cancellationToken)).FirstOrDefault();
                if (!FileClaims.CanClaim(file, tag, uploaderId) || claimed.Any(c => c.Id == id)) return new ClaimOutcome([], id);
                claimed.Add(file! with { UsedFor = usage });
            }
            foreach (var file in claimed)
            {
                await RunAsync(connection, transaction, "UPDATE files SET used_kind = $kind, used_id = $use, used_server_id = $server WHERE id = $id",
                    [("kind", (int)usage.Kind), ("use", usage.Id), ("server", usage.ServerId), ("id", file.Id)], cancellationToken);
            }
            return new ClaimOutcome(claimed, null);
        }, cancellationToken);

    public Task ReleaseAsync(IReadOnlyList<string> ids, CancellationToken cancellationToken) => SetFlagAsync("deleted", ids, cancellationToken);

    public Task MarkReportedAsync(IReadOnlyList<string> ids, CancellationToken cancellationToken) => SetFlagAsync("reported", ids, cancellationToken);

    private Task SetFlagAsync(string column, IReadOnlyList<string> ids, CancellationToken cancellationToken) =>
        WriteAsync(async (connection, transaction) =>
        {
            foreach (var id in ids) await RunAsync(connection, transaction, $"UPDATE files SET {column} = 1 WHERE id = $id", [("id", id)], cancellationToken);
            return 0;
        }, cancellationToken);

    public Task<int> DeleteUnclaimedAsync(DateTimeOffset uploadedBefore, CancellationToken cancellationToken) =>
        WriteAsync((connection, transaction) => RunAsync(connection, transaction,
            "UPDATE files SET deleted = 1 WHERE used_kind IS NULL AND deleted = 0 AND uploaded_at < $before",
            [("before", uploadedBefore.ToUnixTimeMilliseconds())], cancellationToken), cancellationToken);

    private const string UnusedObjects =
        "SELECT hash FROM objects o WHERE NOT EXISTS (SELECT 1 FROM files f WHERE f.hash = o.hash AND (f.deleted = 0 OR f.reported = 1))";

    public async Task<IReadOnlyList<string>> UnusedObjectsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await QueryAsync(connection, null, UnusedObjects, [], reader => reader.GetString(0), cancellationToken);
    }

    public Task<bool> ForgetObjectAsync(string hash, CancellationToken cancellationToken) =>
        WriteAsync(async (connection, transaction) =>
        {
            var removed = await RunAsync(connection, transaction, $"DELETE FROM objects WHERE hash = $hash AND hash IN ({UnusedObjects})", [("hash", hash)], cancellationToken);
            if (removed == 0) return false;
            await RunAsync(connection, transaction, "DELETE FROM files WHERE hash = $hash", [("hash", hash)], cancellationToken);
            return true;
        }, cancellationToken);

    private static StoredObject ReadObject(SqliteDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), r.GetInt64(3), new FileMetadata(r.GetString(4), r.GetInt32(5), r.GetInt32(6)),
        DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(7)));

    private static FileRecord ReadFile(SqliteDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(5)),
        r.IsDBNull(6) ? null : new FileUsage((FileUseKind)r.GetInt32(6), r.GetString(7), r.GetString(8)),
        r.GetInt64(9) != 0, r.GetInt64(10) != 0);

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await RunAsync(connection, null, "PRAGMA busy_timeout = 5000;", [], cancellationToken);
        return connection;
    }

    // A write transaction taken at once (BEGIN IMMEDIATE): a claim's read-then-update cannot interleave with another.
    private async Task<T> WriteAsync<T>(Func<SqliteConnection, SqliteTransaction, Task<T>> work, CancellationToken cancellationToken)
    {
        await _writer.WaitAsync(cancellationToken);
        try
        {
            await using var connection = await OpenAsync(cancellationToken);
            await using var transaction = connection.BeginTransaction(System.Data.IsolationLevel.Serializable, deferred: false);
            var result = await work(connection, transaction);
            await transaction.CommitAsync(cancellationToken);
            return result;
        }
        finally
        {
            _writer.Release();
        }
    }

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql, (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue("$" + name, value ?? DBNull.Value);
        return command;
    }

    private static async Task<int> RunAsync(SqliteConnection connection, SqliteTransaction? transaction, string sql, (string, object?)[] parameters,
        CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<List<T>> QueryAsync<T>(SqliteConnection connection, SqliteTransaction? transaction, string sql, (string, object?)[] parameters,
        Func<SqliteDataReader, T> map, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<T>();
        while (await reader.ReadAsync(cancellationToken)) rows.Add(map(reader));
        return rows;
    }
}
