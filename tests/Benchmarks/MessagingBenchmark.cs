extern alias SpokesApi;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using SpokesApi::Spokes.Api.Encryption;
using SpokesApi::Spokes.Api.Storage.Sqlite;

namespace Spokes.Benchmarks;

/// <summary>Message sends and history pages through the Api, each with the bare SQLite ceiling it is judged against.</summary>
public static class MessagingBenchmark
{
    private const int HistorySize = 100_000;

    public static readonly string HistoryScenario = $"GET 50 messages before a random one ({HistorySize:N0})";

    /// <summary>
    /// The channels they use, made through <paramref name="apiUrl"/>: one that the sends fill, one seeded with
    /// <see cref="HistorySize"/> messages for the history pages.
    /// </summary>
    public static async Task<IReadOnlyList<ScenarioGroup>> ScenariosAsync(string apiUrl, string bareUrl, string token, string apiDatabase)
    {
        using var http = new HttpClient();
        var sendChannel = await CreateServerChannelAsync(http, apiUrl, token, "Sends");
        var historyChannel = await CreateServerChannelAsync(http, apiUrl, token, "History");
        var ids = await SeedAsync(apiDatabase, historyChannel);
        string RandomMessage() => ids[Random.Shared.Next(100, ids.Count)];
        return
        [
            // 32 senders: the acceptance line of issue 24 and the earlier notes.
            new("bare: one SQLite insert", [1, 16, 32, 64], async client => (await client.PostAsync($"{bareUrl}/insert", null)).IsSuccessStatusCode,
            [
                ("POST /channels/{id}/messages", url => client => ApiBenchmark.SendOkAsync(client, HttpMethod.Post, $"{url}/channels/{sendChannel}/messages", token,
                    new { content = "hello from the benchmark" })),
            ]),
            new($"bare: 50 rows by index ({HistorySize:N0} in channel)", [1, 16, 64],
                client => ApiBenchmark.GetOkAsync(client, $"{bareUrl}/range?channel={historyChannel}&before={RandomMessage()}"),
            [
                (HistoryScenario, url => client => ApiBenchmark.SendOkAsync(client, HttpMethod.Get,
                    $"{url}/channels/{historyChannel}/messages?limit=50&before={RandomMessage()}", token)),
            ]),
        ];
    }

    public static async Task<string> CreateServerChannelAsync(HttpClient http, string apiUrl, string token, string name)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{apiUrl}/servers/create") { Content = JsonContent.Create(new { name }) };
        request.Headers.Add("X-Session-Token", token);
        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("channels")[0].GetProperty("_id").GetString()!;
    }

    /// <summary>
    /// Fills the channel with <see cref="HistorySize"/> messages written straight into the Api's database in one
    /// transaction (rows as the Api's SQLite store writes them, sealed under the channel's key from the database's
    /// keyring, opened with the Api's master password), since sending them one by one would take minutes.
    /// </summary>
    private static async Task<List<string>> SeedAsync(string apiDatabase, string channel)
    {
        var keys = new ContentKeys(new SqliteKeyringStore(new SqliteDatabase($"Data Source={apiDatabase}")));
        await keys.OpenAsync(ApiBenchmark.MasterPassword);
        var key = await keys.ChannelKeyAsync(channel);
        var ids = new List<string>(HistorySize);
        var start = DateTimeOffset.UtcNow.AddDays(-1);
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = apiDatabase, DefaultTimeout = 60 }.ToString());
        await connection.OpenAsync();
        await using var transaction = connection.BeginTransaction();
        await using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = "INSERT INTO messages (id, channel_id, pinned, document) VALUES ($id, $channel, 0, $document); " +
                             "INSERT INTO message_search (rowid, content) VALUES (last_insert_rowid(), $content);";
        var id = insert.Parameters.Add("$id", SqliteType.Text);
        insert.Parameters.AddWithValue("$channel", channel);
        var document = insert.Parameters.Add("$document", SqliteType.Text);
        var content = insert.Parameters.Add("$content", SqliteType.Text);
        for (var i = 0; i < HistorySize; i++)
        {
            var messageId = Ulid.NewUlid(start.AddMilliseconds(i)).ToString();
            ids.Add(messageId);
            id.Value = messageId;
            var text = $"history message number {i}";
            var search = BlindIndex.Tokens(BlindIndex.IndexKey(key), text)!;
            content.Value = search;
            document.Value = JsonSerializer.Serialize(new Dictionary<string, string>
            {
                ["_id"] = messageId, ["channel"] = channel, ["author"] = "01JBENCHMARKBENCHMARKBENCHM",
                ["content"] = SealedBox.SealText(key, text, SealedFields.MessageContent(channel, messageId)), ["search"] = search,
            });
            await insert.ExecuteNonQueryAsync();
        }
        await transaction.CommitAsync();
        return ids;
    }
}
