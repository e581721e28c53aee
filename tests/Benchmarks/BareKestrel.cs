using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using System.Net;

namespace Spokes.Benchmarks;

/// <summary>
/// The ceilings: a Kestrel app with one endpoint per comparison and nothing else — a JSON answer about the
/// size of <c>GET /users/@me</c>, one SQLite insert of a message-sized document (its own file, WAL, as the
/// Api's), and one indexed range read of 50 messages from the Api's own database file.
/// </summary>
public static class BareKestrel
{
    public static async Task<int> RunAsync(int port, string insertDatabase, string readDatabase)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        var writes = new SqliteConnectionStringBuilder { DataSource = insertDatabase, Pooling = true, DefaultTimeout = 30 }.ToString();
        var reads = new SqliteConnectionStringBuilder { DataSource = readDatabase, Mode = SqliteOpenMode.ReadOnly, Pooling = true }.ToString();
        await using (var setup = new SqliteConnection(writes))
        {
            await setup.OpenAsync();
            await using var create = setup.CreateCommand();
            create.CommandText = "PRAGMA journal_mode = WAL; CREATE TABLE IF NOT EXISTS messages (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, channel_id TEXT NOT NULL, document TEXT NOT NULL);";
            await create.ExecuteNonQueryAsync();
        }

        app.MapGet("/", () => TypedResults.Ok(new Dictionary<string, object>
        {
            ["_id"] = "01JBENCHMARKBENCHMARKBENCHM",
            ["username"] = "bench",
            ["discriminator"] = "0001",
            ["relationship"] = "User",
            ["online"] = false,
        }));
        // SQLite takes one writer at a time; writers that meet a held lock sleep in its busy handler (up to 100 ms a try),
        // and at 16 or more clients the bare inserts fell below the Api's own sends. Queued here, they stay a ceiling.
        var writer = new SemaphoreSlim(1, 1);
        app.MapPost("/insert", async () =>
        {
            await writer.WaitAsync();
            try
            {
                return await InsertAsync(writes);
            }
            finally
            {
                writer.Release();
            }
        });
        app.MapGet("/range", async (string channel, string before) =>
        {
            await using var connection = new SqliteConnection(reads);
            await connection.OpenAsync();
            await using var query = connection.CreateCommand();
            query.CommandText = "SELECT document FROM messages WHERE channel_id = $channel AND id < $before ORDER BY id DESC LIMIT 50";
            query.Parameters.AddWithValue("$channel", channel);
            query.Parameters.AddWithValue("$before", before);
            await using var reader = await query.ExecuteReaderAsync();
            var page = new List<string>();
            while (await reader.ReadAsync()) page.Add(reader.GetString(0));
            return Results.Text("[" + string.Join(",", page) + "]", "application/json");
        });
        await app.RunAsync();
        return 0;
    }

    private static async Task<IResult> InsertAsync(string writes)
    {
        await using var connection = new SqliteConnection(writes);
        await connection.OpenAsync();
        await using var insert = connection.CreateCommand();
        var id = Ulid.NewUlid().ToString();
        insert.CommandText = "INSERT INTO messages (id, channel_id, document) VALUES ($id, 'bench', $document)";
        insert.Parameters.AddWithValue("$id", id);
        insert.Parameters.AddWithValue("$document", $$"""{"_id":"{{id}}","channel":"bench","author":"01JBENCHMARKBENCHMARKBENCHM","content":"hello from the benchmark"}""");
        await insert.ExecuteNonQueryAsync();
        return Results.Ok(new { _id = id });
    }
}
