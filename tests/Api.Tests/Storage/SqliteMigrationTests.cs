using Microsoft.Data.Sqlite;
using Spokes.Api.Storage.Sqlite;
using Spokes.TestSupport;

namespace Spokes.Api.Tests.Storage;

/// <summary>The schema of a fresh database when several Api replicas start on it at once.</summary>
public sealed class SqliteMigrationTests
{
    [Fact]
    public async Task Replicas_that_both_find_a_fresh_database_migrate_it_once_between_them()
    {
        using var folder = new TemporaryFolder("spokes-migrate");
        var source = $"Data Source={Path.Combine(folder.Path, "spokes.db")}";
        await using var holder = new SqliteConnection(source);
        await holder.OpenAsync();
        await Execute(holder, "PRAGMA journal_mode = WAL;");
        // Another writer holds the database while both replicas look at its schema version and wait for their turn.
        await using var held = await holder.BeginTransactionAsync();
        // Each on a thread of its own: SQLite waits for a lock by blocking its caller.
        var replicas = new[] { Task.Run(() => new SqliteDatabase(source).MigrateAsync()), Task.Run(() => new SqliteDatabase(source).MigrateAsync()) };
        await Task.Delay(TimeSpan.FromSeconds(1));
        await held.RollbackAsync();

        await Task.WhenAll(replicas);
        await using var check = new SqliteConnection(source);
        await check.OpenAsync();
        await using var version = check.CreateCommand();
        version.CommandText = "PRAGMA user_version;";
        Assert.True(Convert.ToInt32(await version.ExecuteScalarAsync()) > 0);
    }

    private static async Task Execute(SqliteConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }
}
