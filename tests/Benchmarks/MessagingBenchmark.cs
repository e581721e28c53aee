extern alias SpokesApi;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using SpokesApi::Spokes.Api.Encryption;
using SpokesApi::Spokes.Api.Storage.Sqlite;

namespace Spokes.Benchmarks;

/// <summary>Message sends and history pages through the Api, each paired with the bare SQLite ceiling it is judged against.</summary>
public static class MessagingBenchmark
{
    private const int HistorySize = 100_000;
    private const int HistoryClients = 16;

    public static async Task<IReadOnlyList<(LoadResult Result, int Clients, LoadResult Ceiling)>> RunAsync(string apiUrl, string bareUrl, string token,
        string apiDatabase, TimeSpan duration)
    {
        using var http = new HttpClient();
        var sendChannel = await CreateServerChannelAsync(http, apiUrl, token, "Sends");
        var results = new List<(LoadResult, int, LoadResult)>();
        foreach (var senders in new[] { 1, 32 })
        {
            var insert = await LoadGenerator.RunAsync("bare: one SQLite insert", senders, duration,
                async client => (await client.PostAsync($"{bareUrl}/insert", null)).IsSuccessStatusCode);
            var send = await LoadGenerator.RunAsync("POST /channels/{id}/messages", senders, duration, async client =>
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, $"{apiUrl}/channels/{sendChannel}/messages")
                {
                    Content = JsonContent.Create(new { content = "hello from the benchmark" }),
                };
                request.Headers.Add("X-Session-Token", token);
                using var response = await client.SendAsync(request);
                return response.IsSuccessStatusCode;
            });
            results.Add((insert, senders, insert));
            results.Add((send, senders, insert));
        }

        var historyChannel = await CreateServerChannelAsync(http, apiUrl, token, "History");
        var ids = await SeedAsync(apiDatabase, historyChannel);
        var range = await LoadGenerator.RunAsync($"bare: 50 rows by index ({HistorySize:N0} in channel)", HistoryClients, duration,
            async client => (await client.GetAsync($"{bareUrl}/range?channel={historyChannel}&before={ids[Random.Shared.Next(100, ids.Count)]}")).IsSuccessStatusCode);
        var history = await LoadGenerator.RunAsync($"GET 50 messages before a random one ({HistorySize:N0})", HistoryClients, duration, async client =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"{apiUrl}/channels/{historyChannel}/messages?limit=50&before={ids[Random.Shared.Next(100, ids.Count)]}");
            request.Headers.Add("X-Session-Token", token);
            using var response = await client.SendAsync(request);
            return response.IsSuccessStatusCode;
        });
        results.Add((range, HistoryClients, range));
        results.Add((history, HistoryClients, range));
        return results;
    }

    private static async Task<string> CreateServerChannelAsync(HttpClient http, string apiUrl, string token, string name)
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
