using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Data.Sqlite;
using Spokes.Api.Encryption;
using Spokes.Api.Storage.Sqlite;
using Spokes.TestSupport;

namespace Spokes.Api.Tests.Encryption;

/// <summary>
/// A conversation in a public channel leaves none of its words in the SQLite files (database and WAL), yet search
/// through the Api finds them; a wrong master password is refused and changes nothing; after a rotation the new
/// password opens everything and the old one nothing.
/// </summary>
public sealed class EncryptionAtRestTests : IAsyncLifetime
{
    private static readonly string[] Words =
        ["zephyr", "quokka", "marmalade", "pumpernickel", "rhubarb", "xylophone", "kumquat", "marmoset", "lighthouse"];

    private readonly RedisServer _redis = new();
    private readonly RabbitMqServer _rabbitmq = new();
    private readonly TemporaryFolder _data = new("spokes-encrypted");

    public Task InitializeAsync() => Task.WhenAll(_redis.InitializeAsync(), _rabbitmq.InitializeAsync());

    public async Task DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        await Task.WhenAll(_redis.DisposeAsync(), _rabbitmq.DisposeAsync());
        _data.Dispose();
    }

    private WebApplicationFactory<Program> Api(string masterPassword) =>
        ApiFixture.Create(_redis.ConnectionString, _rabbitmq.ConnectionString, _data.Path)
            .WithWebHostBuilder(web => web.UseSetting("Api:MasterPassword", masterPassword));

    [Fact]
    public async Task A_conversation_leaves_no_word_on_disk_search_finds_it_a_wrong_password_changes_nothing_and_rotation_retires_the_old_one()
    {
        string channel, edited, token;
        await using (var api = Api(ApiFixture.MasterPassword))
        {
            var owner = await OnboardedUser.CreateAsync(api, "keeper");
            token = owner.Client.Token!;
            var created = await owner.Client.PostAsync("/servers/create", "/servers/create", new { name = "Vault" });
            channel = created.Body.GetProperty("channels")[0].GetProperty("_id").GetString()!;
            Assert.Equal(HttpStatusCode.OK, (await owner.Client.PatchAsync($"/channels/{channel}", "/channels/{target}",
                new { description = "marmoset lighthouse" })).Status);
            await SendAsync(owner, channel, new { content = "Zephyr quokka, marmalade!" });
            edited = await SendAsync(owner, channel, new { content = "a quokka eats pumpernickel" });
            Assert.Equal(HttpStatusCode.OK, (await owner.Client.PatchAsync($"/channels/{channel}/messages/{edited}", "/channels/{target}/messages/{msg}",
                new { content = "a quokka eats rhubarb" })).Status);
            await SendAsync(owner, channel, new { content = "see the embed", embeds = new[] { new { title = "xylophone", description = "kumquat" } } });

            var found = await owner.Client.PostAsync($"/channels/{channel}/search", "/channels/{target}/search", new { query = "QUOKKA" });
            Assert.Equal(2, found.Body.GetArrayLength());
            var phrase = await owner.Client.PostAsync($"/channels/{channel}/search", "/channels/{target}/search", new { query = "\"eats rhubarb\"" });
            Assert.Equal(edited, Assert.Single(phrase.Body.EnumerateArray()).GetProperty("_id").GetString());
            Assert.Equal(0, (await owner.Client.PostAsync($"/channels/{channel}/search", "/channels/{target}/search", new { query = "pumpernickel" }))
                .Body.GetArrayLength());

            // Read while the Api runs, as a copy of the folder would be taken: the WAL holds the latest writes.
            Assert.True(File.Exists(Database + "-wal"));
            var onDisk = await ReadFilesAsync();
            foreach (var word in Words) Assert.DoesNotContain(word, onDisk, StringComparison.OrdinalIgnoreCase);
        }
        SqliteConnection.ClearAllPools();

        var before = Snapshot();
        await using (var wrong = Api("not the master password"))
        {
            var refused = Assert.ThrowsAny<Exception>(() => wrong.CreateClient());
            Assert.Contains(Chain(refused), e => e is MasterPasswordException);
        }
        SqliteConnection.ClearAllPools();
        Assert.Equal(before, Snapshot());

        var database = new SqliteDatabase($"Data Source={Database}");
        await ContentKeys.RotateAsync(new SqliteKeyringStore(database), ApiFixture.MasterPassword, "the new master password");
        SqliteConnection.ClearAllPools();

        await using (var old = Api(ApiFixture.MasterPassword))
            Assert.Contains(Chain(Assert.ThrowsAny<Exception>(() => old.CreateClient())), e => e is MasterPasswordException);
        SqliteConnection.ClearAllPools();
        await using (var api = Api("the new master password"))
        {
            // The owner's session outlives the restart, as sessions are not encrypted content.
            var history = new StoatSession(api.CreateClient()) { Token = token };
            var messages = await history.GetAsync($"/channels/{channel}/messages", "/channels/{target}/messages");
            Assert.Contains(messages.Body.EnumerateArray(), m => m.GetProperty("content").GetString() == "a quokka eats rhubarb");
            var description = (await history.GetAsync($"/channels/{channel}", "/channels/{target}")).Body.GetProperty("description").GetString();
            Assert.Equal("marmoset lighthouse", description);
        }
    }

    private string Database => Path.Combine(_data.Path, "spokes.db");

    private static async Task<string> SendAsync(OnboardedUser user, string channel, object body)
    {
        var reply = await user.Client.PostAsync($"/channels/{channel}/messages", "/channels/{target}/messages", body);
        Assert.Equal(HttpStatusCode.OK, reply.Status);
        return reply.Body.GetProperty("_id").GetString()!;
    }

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

    /// <summary>Each file of the data folder with a hash of its bytes.</summary>
    private IReadOnlyDictionary<string, string> Snapshot() => Directory.GetFiles(_data.Path, "*", SearchOption.AllDirectories)
        .Order().ToDictionary(f => Path.GetRelativePath(_data.Path, f), f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))));

    private static IEnumerable<Exception> Chain(Exception e)
    {
        for (Exception? current = e; current is not null; current = current.InnerException)
        {
            yield return current;
            if (current is AggregateException aggregate)
                foreach (var inner in aggregate.InnerExceptions.SelectMany(Chain)) yield return inner;
        }
    }
}
