using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Spokes.TestSupport;

namespace Spokes.Api.Tests;

/// <summary>
/// The Api while its Redis is gone: it answers at once, tells its probes the truth, and keeps sign-in closed
/// (its rate limit cannot be counted) while other routes carry on.
/// </summary>
public sealed class RedisOutageTests : IAsyncLifetime
{
    // Far below StackExchange.Redis's own 5 s wait per command, far above a healthy answer.
    private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(4);

    private readonly RedisServer _redis = new();
    private readonly RabbitMqServer _rabbitmq = new();
    private readonly TemporaryFolder _data = new("spokes-redis-outage");
    private WebApplicationFactory<Program> _api = null!;

    public async Task InitializeAsync()
    {
        await Task.WhenAll(_redis.InitializeAsync(), _rabbitmq.InitializeAsync());
        _api = ApiFixture.Create(_redis.ConnectionString, _rabbitmq.ConnectionString, _data.Path)
            .WithWebHostBuilder(web => web.UseSetting("Api:RateLimit:Enabled", "true"));
    }

    public async Task DisposeAsync()
    {
        await Teardown.DisposeAsync(_api);
        await Task.WhenAll(_redis.DisposeAsync(), _rabbitmq.DisposeAsync());
        _data.Dispose();
    }

    private static async Task<(HttpStatusCode Status, string Body, TimeSpan Took)> TimedAsync(Func<Task<HttpResponseMessage>> send)
    {
        var clock = Stopwatch.StartNew();
        using var response = await send();
        return (response.StatusCode, await response.Content.ReadAsStringAsync(), clock.Elapsed);
    }

    [Fact]
    public async Task Without_redis_sign_in_is_refused_other_routes_answer_and_health_says_so_promptly()
    {
        var client = _api.CreateClient();
        Task<HttpResponseMessage> Login() => client.PostAsJsonAsync("/auth/session/login", new { email = "nobody@example.com", password = "wrong password" });
        Assert.Equal(HttpStatusCode.Unauthorized, (await TimedAsync(Login)).Status);

        await _redis.StopAsync();

        var login = await TimedAsync(Login);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, login.Status);
        Assert.Equal("InternalError", JsonDocument.Parse(login.Body).RootElement.GetProperty("type").GetString());
        Assert.True(login.Took < Prompt, $"sign-in took {login.Took.TotalSeconds:F1} s");

        var root = await TimedAsync(() => client.GetAsync("/"));
        Assert.Equal(HttpStatusCode.OK, root.Status);
        Assert.True(root.Took < Prompt, $"GET / took {root.Took.TotalSeconds:F1} s");

        var health = await TimedAsync(() => client.GetAsync("/health"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.Status);
        Assert.True(health.Took < Prompt, $"/health took {health.Took.TotalSeconds:F1} s");
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/alive")).StatusCode);

        // Back by itself once Redis is: the client reconnects in the background.
        await _redis.StartAgainAsync();
        var clock = Stopwatch.StartNew();
        while ((await TimedAsync(Login)).Status != HttpStatusCode.Unauthorized)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), "sign-in did not come back within 30 s of Redis");
            await Task.Delay(200);
        }
    }

    [Fact]
    public async Task Without_redis_users_read_offline_and_the_request_still_answers_promptly()
    {
        var alice = await OnboardedUser.CreateAsync(_api, "alice");
        await _redis.StopAsync();

        var clock = Stopwatch.StartNew();
        var self = await alice.Client.GetAsync("/users/@me", "/users/@me");
        Assert.Equal(HttpStatusCode.OK, self.Status);
        Assert.False(self.Body.GetProperty("online").GetBoolean());
        Assert.True(clock.Elapsed < Prompt, $"GET /users/@me took {clock.Elapsed.TotalSeconds:F1} s");
    }
}
