extern alias SpokesApi;
using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Spokes.TestSupport;
using SpokesApi::Spokes.Api.Encryption;
using SpokesApi::Spokes.Api.Storage;
using SpokesApi::Spokes.Api.Storage.Sqlite;

namespace Spokes.Benchmarks;

/// <summary>
/// What encryption at rest costs where it happens, in the Api's store layer: message sends (sealing, the blind index,
/// the outbox entry) and history pages (opening 50 messages), through the SQLite store with the encryption layer next
/// to the same store without it, in the same run, each on a database of its own. Search compares the blind index with
/// an index of the plain words. The rounds alternate (off, on, off, on …) so that the machine's load falls on both.
/// </summary>
public static class EncryptionBenchmark
{
    private const int HistorySize = 20_000;
    private const int PageSize = 50;
    private const int Rounds = 3;
    private const string Content = "Meet at the harbour at seven; bring the charts, the spare spokes and a thermos of tea.";

    public static async Task RunAsync(TimeSpan duration)
    {
        using var data = new TemporaryFolder("spokes-encryption-benchmark");
        var argon = Stopwatch.StartNew();
        var keys = new ContentKeys(new SqliteKeyringStore(await DatabaseAsync(data, "keys.db")));
        await keys.OpenAsync("benchmark master password");
        Console.WriteLine($"Master key (Argon2id, once per start): {argon.Elapsed.TotalMilliseconds:F0} ms");

        var plain = await MessageStoreAsync(data, "plain.db");
        var encrypted = new EncryptedMessageStore(await MessageStoreAsync(data, "encrypted.db"), keys);
        var channel = Ulid.NewUlid().ToString();
        // Plain, the store indexes the words themselves (what it held before encryption at rest).
        Message Plain(Message message) => message with { Search = string.Join(' ', BlindIndex.Words(message.Content!)) };
        var plainIds = await SeedAsync(plain, channel, Plain);
        var encryptedIds = await SeedAsync(encrypted, channel, m => m);

        var results = new Dictionary<string, List<double>>();
        void Add(string name, double perSecond) => (results.TryGetValue(name, out var list) ? list : results[name] = []).Add(perSecond);
        for (var round = 0; round < Rounds; round++)
        {
            Add("send, off", await RateAsync(duration, () => plain.InsertAsync(Plain(NewMessage(channel)), [Outbox()])));
            Add("send, on", await RateAsync(duration, () => encrypted.InsertAsync(NewMessage(channel), [Outbox()])));
            Add("history page, off", await RateAsync(duration, () => plain.QueryAsync(Page(channel, plainIds))));
            Add("history page, on", await RateAsync(duration, () => encrypted.QueryAsync(Page(channel, encryptedIds))));
            Add("search, off", await RateAsync(duration, () => plain.QueryAsync(new MessageQuery(channel, PageSize, Text: "harbour"))));
            Add("search, on", await RateAsync(duration, () => encrypted.QueryAsync(new MessageQuery(channel, PageSize, Text: "harbour"))));
        }

        Console.WriteLine($"SQLite store, {HistorySize:N0} messages per channel, {Rounds} alternating rounds of {duration.TotalSeconds:F0} s, median ops/s:");
        Console.WriteLine($"{"operation",-22} {"off",10} {"on",10} {"on/off",8}");
        foreach (var operation in new[] { "send", "history page", "search" })
        {
            var off = Median(results[$"{operation}, off"]);
            var on = Median(results[$"{operation}, on"]);
            Console.WriteLine($"{operation,-22} {off,10:F0} {on,10:F0} {on / off,8:F2}");
        }
        var plainSize = new FileInfo(Path.Combine(data.Path, "plain.db")).Length + WalLength(data, "plain.db");
        var encryptedSize = new FileInfo(Path.Combine(data.Path, "encrypted.db")).Length + WalLength(data, "encrypted.db");
        Console.WriteLine($"Database size after the run: off {plainSize / 1048576.0:F1} MiB, on {encryptedSize / 1048576.0:F1} MiB ({(double)encryptedSize / plainSize:F2}×)");
        SqliteConnection.ClearAllPools();
    }

    private static long WalLength(TemporaryFolder data, string database) =>
        File.Exists(Path.Combine(data.Path, database + "-wal")) ? new FileInfo(Path.Combine(data.Path, database + "-wal")).Length : 0;

    private static async Task<SqliteMessageStore> MessageStoreAsync(TemporaryFolder data, string name)
    {
        var database = await DatabaseAsync(data, name);
        return new SqliteMessageStore(database, new SqliteSearchIndex(database));
    }

    private static async Task<SqliteDatabase> DatabaseAsync(TemporaryFolder data, string name)
    {
        var database = new SqliteDatabase($"Data Source={Path.Combine(data.Path, name)}");
        await database.MigrateAsync();
        return database;
    }

    private static Message NewMessage(string channel) => new(Ulid.NewUlid().ToString(), channel, "01HBENCHMARKAUTHOR00000000", Content: Content);

    private static OutboxEntry Outbox() => new(Guid.NewGuid(), "MessageSent", $$"""{"content":"{{Content}}"}""", DateTimeOffset.UtcNow);

    private static async Task<List<string>> SeedAsync(IMessageStore store, string channel, Func<Message, Message> prepare)
    {
        var ids = new List<string>(HistorySize);
        for (var i = 0; i < HistorySize; i++)
        {
            var message = prepare(NewMessage(channel));
            await store.InsertAsync(message, []);
            ids.Add(message.Id);
        }
        return ids;
    }

    private static MessageQuery Page(string channel, List<string> ids) =>
        new(channel, PageSize, Before: ids[Random.Shared.Next(PageSize * 2, ids.Count)]);

    private static async Task<double> RateAsync(TimeSpan duration, Func<Task> operation)
    {
        var warmUp = Stopwatch.StartNew();
        while (warmUp.Elapsed < TimeSpan.FromMilliseconds(300)) await operation();
        var count = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < duration)
        {
            await operation();
            count++;
        }
        return count / clock.Elapsed.TotalSeconds;
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
}
