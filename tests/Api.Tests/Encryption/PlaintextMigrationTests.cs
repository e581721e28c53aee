using System.Net;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Spokes.Api.Encryption;
using Spokes.Api.Storage;
using Spokes.Api.Storage.Sqlite;
using Spokes.TestSupport;

namespace Spokes.Api.Tests.Encryption;

/// <summary>
/// A database written before encryption at rest (plain content, embeds, description, outbox and a search index of the
/// words) is sealed on its first start with a master password: everything reads and searches as before, and none
/// of its words is left in the files; a migration cut short after a batch finishes when started again.
/// </summary>
public sealed class PlaintextMigrationTests : IAsyncLifetime
{
    private static readonly string[] Words = ["zephyr", "quokka", "marmalade", "pumpernickel", "xylophone", "kumquat", "marmoset", "lighthouse"];

    private readonly RedisServer _redis = new();
    private readonly RabbitMqServer _rabbitmq = new();
    private readonly TemporaryFolder _data = new("spokes-plaintext-migration");

    public Task InitializeAsync() => Task.WhenAll(_redis.InitializeAsync(), _rabbitmq.InitializeAsync());

    public async Task DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        await Task.WhenAll(_redis.DisposeAsync(), _rabbitmq.DisposeAsync());
        _data.Dispose();
    }

    private string DatabasePath => Path.Combine(_data.Path, "spokes.db");

    private WebApplicationFactory<Program> Api() =>
        ApiFixture.Create(_redis.ConnectionString, _rabbitmq.ConnectionString, _data.Path)
            .WithWebHostBuilder(web => web.UseSetting("Api:MasterPassword", ApiFixture.MasterPassword));

    [Fact]
    public async Task A_database_from_before_encryption_is_sealed_on_its_first_start_and_reads_and_searches_as_before()
    {
        string channel, token, ownerId;
        await using (var api = Api())
        {
            var owner = await OnboardedUser.CreateAsync(api, "keeper");
            (token, ownerId) = (owner.Client.Token!, owner.Id);
            var created = await owner.Client.PostAsync("/servers/create", "/servers/create", new { name = "Vault" });
            channel = created.Body.GetProperty("channels")[0].GetProperty("_id").GetString()!;
        }
        SqliteConnection.ClearAllPools();
        // What the version before encryption at rest left: no keyring, the content and the search index in clear.
        var database = new SqliteDatabase($"Data Source={DatabasePath}");
        await database.ExecuteAsync("DELETE FROM keyring", Documents.Parameters());
        await database.ExecuteAsync("DELETE FROM outbox", Documents.Parameters());
        await new SqliteChannelStore(database).UpdateAsync(channel, new FieldUpdate().Set("description", "marmoset lighthouse"));
        var messages = new SqliteMessageStore(database, new SqliteSearchIndex(database));
        await messages.InsertAsync(Plain(new Message(Ulid.NewUlid().ToString(), channel, ownerId, Content: "Zephyr quokka, marmalade!")), []);
        var eats = Plain(new Message(Ulid.NewUlid().ToString(), channel, ownerId, Content: "a quokka eats pumpernickel"));
        await messages.InsertAsync(eats, []);
        await messages.InsertAsync(new Message(Ulid.NewUlid().ToString(), channel, ownerId, Embeds: [new TextEmbed(null, null, "xylophone", "kumquat", null)]), []);
        SqliteConnection.ClearAllPools();
        Assert.Contains("pumpernickel", await ReadFilesAsync());

        await using (var api = Api())
        {
            var session = new StoatSession(api.CreateClient()) { Token = token };
            var history = (await session.GetAsync($"/channels/{channel}/messages", "/channels/{target}/messages")).Body.EnumerateArray().ToList();
            Assert.Contains(history, m => m.TryGetProperty("content", out var c) && c.GetString() == "Zephyr quokka, marmalade!");
            Assert.Contains(history, m => m.TryGetProperty("embeds", out var e) && e[0].GetProperty("title").GetString() == "xylophone");
            var found = await session.PostAsync($"/channels/{channel}/search", "/channels/{target}/search", new { query = "QUOKKA" });
            Assert.Equal(2, found.Body.GetArrayLength());
            var phrase = await session.PostAsync($"/channels/{channel}/search", "/channels/{target}/search", new { query = "\"eats pumpernickel\"" });
            Assert.Equal(eats.Id, Assert.Single(phrase.Body.EnumerateArray()).GetProperty("_id").GetString());
            Assert.Equal("marmoset lighthouse", (await session.GetAsync($"/channels/{channel}", "/channels/{target}")).Body.GetProperty("description").GetString());

            var onDisk = await ReadFilesAsync();
            foreach (var word in Words) Assert.DoesNotContain(word, onDisk, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task A_migration_cut_short_after_a_batch_resumes_where_it_was_and_seals_nothing_twice()
    {
        var database = new SqliteDatabase($"Data Source={DatabasePath}");
        await database.MigrateAsync();
        var channelStore = new SqliteChannelStore(database);
        var channel = Ulid.NewUlid().ToString();
        await channelStore.CreateAsync(new Group(channel, "Crew", "01HOWNER0000000000000000000", "marmoset lighthouse", ["01HOWNER0000000000000000000"], null, null, false));
        var messageStore = new SqliteMessageStore(database, new SqliteSearchIndex(database));
        var sent = new List<Message>();
        for (var i = 0; i < 5; i++)
        {
            var message = Plain(new Message(Ulid.NewUlid().ToString(), channel, "01HOWNER0000000000000000000", Content: $"quokka number {i} eats pumpernickel"));
            await messageStore.InsertAsync(message, i == 0 ? [new OutboxEntry(Guid.NewGuid(), "MessageSent", """{"content":"zephyr"}""", DateTimeOffset.UtcNow)] : []);
            sent.Add(message);
        }
        var keyring = new SqliteKeyringStore(database);
        var keys = new ContentKeys(keyring);
        await keys.OpenAsync(ApiFixture.MasterPassword);
        var store = new SqlitePlaintextContentStore(database);

        var cut = new PlaintextMigration(new CutAfterFirstBatch(store), messageStore, channelStore, keyring, keys, NullLogger<PlaintextMigration>.Instance, batchSize: 2);
        await Assert.ThrowsAsync<IOException>(() => cut.RunAsync());
        // Batches go in id order; ids made within one millisecond are not in the order they were made.
        Assert.Equal("messages:" + sent.Select(m => m.Id).Order(StringComparer.Ordinal).ElementAt(1), await keyring.GetAsync(PlaintextMigration.MarkerId));
        var raw = await store.MessagesAfterAsync("", 10);
        Assert.All(raw.Take(2), m => Assert.DoesNotContain("quokka", m.Content));
        Assert.All(raw.Skip(2), m => Assert.Contains("quokka", m.Content));

        // The rows of the first batch are sealed again only if they did not open: the second start finds them sealed.
        var sealedFirst = raw[0].Content;
        await new PlaintextMigration(store, messageStore, channelStore, keyring, keys, NullLogger<PlaintextMigration>.Instance, batchSize: 2).RunAsync();
        Assert.Equal("done", await keyring.GetAsync(PlaintextMigration.MarkerId));
        Assert.Equal(sealedFirst, (await store.MessagesAfterAsync("", 1))[0].Content);

        var encrypted = new EncryptedMessageStore(messageStore, keys);
        var read = await encrypted.QueryAsync(new MessageQuery(channel, 10));
        Assert.Equal(sent.Select(m => m.Content).Order(), read.Select(m => m.Content).Order());
        Assert.Equal(5, (await encrypted.QueryAsync(new MessageQuery(channel, 10, Text: "pumpernickel"))).Count);
        Assert.Equal("marmoset lighthouse", ((Group)(await new EncryptedChannelStore(channelStore, keys).GetAsync(channel))!).Description);
        Assert.Equal("""{"content":"zephyr"}""", Assert.Single(await new EncryptedOutboxStore(new SqliteOutboxStore(database), keys).PendingAsync(10)).Body);
        SqliteConnection.ClearAllPools();
        var onDisk = await ReadFilesAsync();
        foreach (var word in Words) Assert.DoesNotContain(word, onDisk, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The index of the words themselves, as the store kept it before encryption at rest.</summary>
    private static Message Plain(Message message) => message with { Search = message.Content };

    private async Task<string> ReadFilesAsync()
    {
        var text = new StringBuilder();
        foreach (var file in Directory.GetFiles(_data.Path, "spokes.db*"))
        {
            await using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var copy = new MemoryStream();
            await stream.CopyToAsync(copy);
            text.Append(Encoding.Latin1.GetString(copy.ToArray()));
        }
        return text.ToString();
    }

    /// <summary>The store as a crash would leave it to the migration: the first batch of messages is read, the next read fails.</summary>
    private sealed class CutAfterFirstBatch(IPlaintextContentStore inner) : IPlaintextContentStore
    {
        private int _reads;

        public Task<IReadOnlyList<Message>> MessagesAfterAsync(string afterId, int limit, CancellationToken cancellationToken = default) =>
            ++_reads > 1 ? throw new IOException("The process ended here.") : inner.MessagesAfterAsync(afterId, limit, cancellationToken);

        public Task<IReadOnlyList<Channel>> ChannelsAfterAsync(string afterId, int limit, CancellationToken cancellationToken = default) =>
            inner.ChannelsAfterAsync(afterId, limit, cancellationToken);

        public Task<IReadOnlyList<OutboxEntry>> OutboxAsync(CancellationToken cancellationToken = default) => inner.OutboxAsync(cancellationToken);

        public Task ReplaceOutboxBodyAsync(Guid id, string body, CancellationToken cancellationToken = default) => inner.ReplaceOutboxBodyAsync(id, body, cancellationToken);

        public Task CompactAsync(CancellationToken cancellationToken = default) => inner.CompactAsync(cancellationToken);
    }
}
