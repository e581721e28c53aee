using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting.Testing;
using Spokes.TestSupport;
using StackExchange.Redis;

namespace Spokes.AppHost.Tests;

[CollectionDefinition(Name)]
public sealed class SuiteCollection : ICollectionFixture<SharedSuite>
{
    /// <summary>Tests that start a whole suite run one at a time: two at once would share two cores.</summary>
    public const string Name = "suite";
}

/// <summary>The whole suite, started by the real AppHost through Aspire.Hosting.Testing, used through its Gateway.</summary>
[Collection(SuiteCollection.Name)]
public partial class SystemTests(SharedSuite shared)
{
    private static async Task<JsonElement> GetJsonAsync(HttpClient http, string path)
    {
        using var response = await http.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    [Fact]
    public async Task The_suite_starts_healthy_and_serves_stoat_clients_through_the_gateway()
    {
        var suite = await shared.GetAsync();
        var port = suite.Gateway.BaseAddress!.Port;

        var root = await GetJsonAsync(suite.Gateway, "/api/");
        Assert.Equal($"ws://localhost:{port}/ws", root.GetProperty("ws").GetString());
        Assert.Equal($"http://localhost:{port}/autumn", root.GetProperty("features").GetProperty("autumn").GetProperty("url").GetString());
        // The suite runs both, so clients must be told to upload files and expect embeds.
        Assert.True(root.GetProperty("features").GetProperty("autumn").GetProperty("enabled").GetBoolean());
        Assert.True(root.GetProperty("features").GetProperty("january").GetProperty("enabled").GetBoolean());
        Assert.Matches("^B[A-Za-z0-9_-]{86}$", root.GetProperty("vapid").GetString());
        var openApi = await StoatOpenApi.LoadAsync();
        Assert.Empty(openApi.Validate(root, "RevoltConfig"));

        var discovery = await GetJsonAsync(suite.Gateway, "/.well-known/stoat");
        Assert.Equal($"http://localhost:{port}/api", discovery.GetProperty("api").GetString());
        Assert.Equal("Hello, I am a file server!", (await GetJsonAsync(suite.Gateway, "/autumn/")).GetProperty("autumn").GetString());
        Assert.Equal("Hello, I am a media proxy server!", (await GetJsonAsync(suite.Gateway, "/january/")).GetProperty("january").GetString());

        // Every resource's output is also kept in the data folder, for the operator of a home server.
        Assert.Contains(File.ReadAllLines(Path.Combine(suite.DataFolder, "logs", "rabbitmq.log")), l => l.Contains("Server startup complete", StringComparison.OrdinalIgnoreCase));
        Assert.Contains(File.ReadAllLines(Path.Combine(suite.DataFolder, "logs", "api.log")), l => l.Contains("Bus started", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Accounts_and_redis_data_survive_a_restart_of_the_suite()
    {
        using var data = new TemporaryFolder("spokes-system");
        await using (var first = await TestSuite.StartAsync(data.Path))
        {
            using var signUp = await first.Gateway.PostAsJsonAsync("/api/auth/account/create", new { email = "kept@example.com", password = "kept password" });
            Assert.Equal(HttpStatusCode.NoContent, signUp.StatusCode);
            await using var redis = await ConnectionMultiplexer.ConnectAsync((await first.App.GetConnectionStringAsync("redis"))!);
            await redis.GetDatabase().StringSetAsync("spokes:system-test", "kept");
            // Redis syncs its append-only file every second.
            await Task.Delay(TimeSpan.FromSeconds(2));
        }

        await using var second = await TestSuite.StartAsync(data.Path);
        await using var reconnected = await ConnectionMultiplexer.ConnectAsync((await second.App.GetConnectionStringAsync("redis"))!);
        Assert.Equal("kept", (string?)await reconnected.GetDatabase().StringGetAsync("spokes:system-test"));
        using var login = await second.Gateway.PostAsJsonAsync("/api/auth/session/login", new { email = "kept@example.com", password = "kept password" });
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        Assert.Equal("Success", JsonDocument.Parse(await login.Content.ReadAsStringAsync()).RootElement.GetProperty("result").GetString());
    }

    /// <summary>
    /// The probe's reproduction: wrong logins through the Gateway, each claiming another X-Forwarded-For and naming
    /// another account. The Gateway believes no client's own address, so they share one limit: Stoat's 15 per 10 s.
    /// They come from a loopback address no other test uses, so the limit they fill is theirs alone.
    /// </summary>
    [Fact]
    public async Task Login_floods_through_the_gateway_are_limited_whatever_address_or_account_they_name()
    {
        var suite = await shared.GetAsync();
        using var gateway = LoopbackClient.From(IPAddress.Parse("127.0.0.77"), suite.Gateway.BaseAddress!);
        // All at once: each is counted as it arrives, before its password is hashed, so a slow machine cannot stretch
        // them past the 10-second window.
        var statuses = await Task.WhenAll(Enumerable.Range(0, 40).Select(async i =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/auth/session/login")
            {
                Content = JsonContent.Create(new { email = $"account{i}@example.com", password = "wrong password" }),
            };
            request.Headers.Add("X-Forwarded-For", $"198.51.100.{i + 1}");
            using var response = await gateway.SendAsync(request);
            return response.StatusCode;
        }));
        // The limit counted all 40 as one client: 25 refused before any password was looked at, and no guess got in.
        Assert.Equal(25, statuses.Count(s => s == HttpStatusCode.TooManyRequests));
        Assert.DoesNotContain(statuses, s => (int)s is >= 200 and < 300);
    }
}
