using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Spokes.TestSupport;

namespace Spokes.AppHost.Tests;

/// <summary>
/// The suite with <c>--api-replicas 2</c>, started once for the tests below. The Api's rate limits are off in it: these
/// tests send one user's requests faster than Stoat's 20 per 10 s, and what they check is not the limits.
/// </summary>
public sealed class TwoApiReplicas : IAsyncLifetime
{
    private const string RateLimitsVariable = "Api__RateLimit__Enabled";

    public TemporaryFolder Data { get; } = new("spokes-replicas");

    public TestSuite Suite { get; private set; } = null!;

    /// <summary>Each replica's own address (not the proxy in front of both).</summary>
    public IReadOnlyList<Uri> Replicas => ServiceReplicas.Of(Data.Path, "Spokes.Api");

    public async Task InitializeAsync()
    {
        // DCP, and through it every service, takes its environment from this process when the suite starts.
        Environment.SetEnvironmentVariable(RateLimitsVariable, "false");
        try
        {
            Suite = await TestSuite.StartAsync(Data.Path, "--api-replicas", "2");
        }
        finally
        {
            Environment.SetEnvironmentVariable(RateLimitsVariable, null);
        }
    }

    public async Task DisposeAsync()
    {
        // Null when the suite did not start: that failure is the one to see.
        if (Suite is not null) await Suite.DisposeAsync();
        Data.Dispose();
    }
}

/// <summary>
/// Two Api replicas behind the Gateway: both serve it, and a session revoked through one is refused by the other on its
/// very next request (the property the Api's caches must keep). Each replica is called at its own address, in both
/// directions, so that nothing depends on which replica DCP's proxy picks for a connection.
/// </summary>
[Collection(SuiteCollection.Name)]
public sealed class ApiReplicaTests(TwoApiReplicas replicas) : IClassFixture<TwoApiReplicas>
{
    private const string Password = "replica test password";

    [Fact]
    public void Each_api_replica_writes_to_the_api_log_each_line_led_by_its_instance_name()
    {
        var lines = File.ReadAllLines(Path.Combine(replicas.Data.Path, "logs", "api.log"));
        var started = lines.Where(l => l.Contains("Bus started", StringComparison.Ordinal)).Select(l => l[..(l.IndexOf(']') + 1)]).Distinct().ToList();
        Assert.Equal(2, started.Count);
        Assert.All(started, instance => Assert.StartsWith("[api-", instance));
    }

    [Fact]
    public async Task Both_api_replicas_serve_requests_through_the_gateway()
    {
        var addresses = replicas.Replicas;
        Assert.Equal(2, addresses.Count);
        var token = (await SignUpAsync(replicas.Suite.Gateway, "/api")).Token;

        // Many at once: the Gateway opens a connection per request in flight, and the proxy spreads connections over the replicas.
        var statuses = await Task.WhenAll(Enumerable.Range(0, 64).Select(async _ =>
        {
            using var response = await SendAsync(replicas.Suite.Gateway, HttpMethod.Get, "/api/users/@me", token);
            return response.StatusCode;
        }));

        Assert.All(statuses, status => Assert.Equal(HttpStatusCode.OK, status));
        // The connections the requests came on are still open (kept for the next ones): each replica holds some.
        Assert.All(addresses, address => Assert.True(SocketTable.EstablishedTo(address.Port) > 0, $"No connection reached the replica at {address}."));
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(1, false)]
    [InlineData(0, true)]
    [InlineData(1, true)]
    public async Task A_session_revoked_through_one_replica_is_refused_by_the_other_on_its_next_request(int revokingReplica, bool byLogout)
    {
        var addresses = replicas.Replicas;
        Assert.Equal(2, addresses.Count);
        using var through = new HttpClient { BaseAddress = addresses[revokingReplica] };
        using var other = new HttpClient { BaseAddress = addresses[1 - revokingReplica] };
        var keeper = await SignUpAsync(through, "");
        var session = await LoginAsync(through, "", keeper.Email);
        // Both replicas have served the session (so that a cache on either would hold it).
        foreach (var replica in new[] { through, other })
        {
            using var me = await SendAsync(replica, HttpMethod.Get, "/users/@me", session.Token);
            Assert.Equal(HttpStatusCode.OK, me.StatusCode);
        }

        using (var revoke = byLogout
                   ? await SendAsync(through, HttpMethod.Post, "/auth/session/logout", session.Token)
                   : await SendAsync(through, HttpMethod.Delete, $"/auth/session/{session.Id}", keeper.Token))
        {
            Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        }

        using var next = await SendAsync(other, HttpMethod.Get, "/users/@me", session.Token);
        Assert.Equal(HttpStatusCode.Unauthorized, next.StatusCode);
        using var again = await SendAsync(through, HttpMethod.Get, "/users/@me", session.Token);
        Assert.Equal(HttpStatusCode.Unauthorized, again.StatusCode);
    }

    private static async Task<(string Email, string Id, string Token)> SignUpAsync(HttpClient http, string prefix)
    {
        var email = $"replicas-{Guid.NewGuid():N}@example.com";
        using (var create = await http.PostAsJsonAsync($"{prefix}/auth/account/create", new { email, password = Password }))
        {
            Assert.Equal(HttpStatusCode.NoContent, create.StatusCode);
        }
        var session = await LoginAsync(http, prefix, email);
        using var onboard = await SendAsync(http, HttpMethod.Post, $"{prefix}/onboard/complete", session.Token, new { username = "replicas" });
        Assert.Equal(HttpStatusCode.OK, onboard.StatusCode);
        return session;
    }

    private static async Task<(string Email, string Id, string Token)> LoginAsync(HttpClient http, string prefix, string email)
    {
        using var login = await http.PostAsJsonAsync($"{prefix}/auth/session/login", new { email, password = Password });
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        var answer = JsonDocument.Parse(await login.Content.ReadAsStringAsync()).RootElement;
        return (email, answer.GetProperty("_id").GetString()!, answer.GetProperty("token").GetString()!);
    }

    private static Task<HttpResponseMessage> SendAsync(HttpClient http, HttpMethod method, string path, string token, object? body = null)
    {
        var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        request.Headers.Add("X-Session-Token", token);
        return http.SendAsync(request);
    }
}
