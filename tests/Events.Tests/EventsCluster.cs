using System.Net.Http.Json;
using System.Text.Json;
using Spokes.AppHost.Hosting;
using Spokes.TestSupport;
using StackExchange.Redis;

namespace Spokes.Events.Tests;

/// <summary>
/// The real processes, as the AppHost runs them: Redis, RabbitMQ, the Api (SQLite) and two Events nodes on
/// one Redis, each on its own port.
/// </summary>
public sealed class EventsCluster : IAsyncLifetime
{
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private LocalServer _server = null!;
    private Resource _api = null!;
    private Resource _nodeA = null!;

    public Resource Redis { get; private set; } = null!;

    public Resource NodeB => _server.Resource;

    public LocalServer Server => _server;

    public string ApiUrl => $"http://127.0.0.1:{_api.GetEndpoint("http").Port}";

    public string NodeAUrl => $"ws://127.0.0.1:{_nodeA.GetEndpoint("http").Port}";

    public string NodeBUrl => $"ws://127.0.0.1:{NodeB.GetEndpoint("http").Port}";

    public async Task InitializeAsync()
    {
        _server = await LocalServer.StartAsync(builder =>
        {
            var mongo = builder.AddMongoDB("mongo");
            var redis = builder.AddRedis("redis");
            var rabbitmq = builder.AddRabbitMQ("rabbitmq");
            var api = builder.AddProject("api", "services/Api/Spokes.Api.csproj")
                .WithGrpcEndpoint()
                .WithReference(mongo)
                .WithReference(redis)
                .WithReference(rabbitmq)
                .WithEnvironment("Api__PublicUrl", "http://127.0.0.1")
                .WithEnvironment("Api__VapidPublicKey", "BExampleVapidKey")
                .WithEnvironment("Api__RateLimit__Enabled", "false");
            var nodeA = builder.AddProject("events-a", "services/Events/Spokes.Events.csproj")
                .WithReference(redis)
                .WithReference(api)
                // Small enough that a client which stops reading overflows it quickly.
                .WithEnvironment("Events__SendQueueLimit", "64");
            return builder.AddProject("events-b", "services/Events/Spokes.Events.csproj")
                .WithReference(redis)
                .WithReference(api)
                .WaitFor(nodeA);
        });
        Redis = _server.Builder.Resources["redis"];
        _api = _server.Builder.Resources["api"];
        _nodeA = _server.Builder.Resources["events-a"];
    }

    public async Task<IConnectionMultiplexer> ConnectRedisAsync() =>
        await ConnectionMultiplexer.ConnectAsync(Expressions.EvaluateLocal("{redis.connectionString}", _server.Builder.Resources));

    /// <summary>A new onboarded user: their id and session token.</summary>
    public async Task<(string UserId, string Token)> SignUpAsync(string name)
    {
        var email = $"{name}-{Guid.NewGuid():N}@example.com";
        const string password = "correct horse battery staple";
        await PostAsync("/auth/account/create", null, new { email, password });
        var session = await PostAsync("/auth/session/login", null, new { email, password, friendly_name = "tests" });
        var token = session.GetProperty("token").GetString()!;
        await PostAsync("/onboard/complete", token, new { username = name });
        return (session.GetProperty("user_id").GetString()!, token);
    }

    public async Task<JsonElement> PostAsync(string path, string? token, object? body = null) => await SendAsync(HttpMethod.Post, path, token, body);

    public async Task<JsonElement> SendAsync(HttpMethod method, string path, string? token, object? body = null)
    {
        using var request = new HttpRequestMessage(method, ApiUrl + path);
        if (token is not null) request.Headers.Add("X-Session-Token", token);
        if (body is not null) request.Content = JsonContent.Create(body);
        using var response = await _http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{method} {path}: {(int)response.StatusCode} {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>A server made by <paramref name="owner"/> and joined by the others: its id and first channel.</summary>
    public async Task<(string ServerId, string ChannelId)> ServerWithAsync(string owner, params string[] members)
    {
        var created = await PostAsync("/servers/create", owner, new { name = "Cluster" });
        var serverId = created.GetProperty("server").GetProperty("_id").GetString()!;
        var channelId = created.GetProperty("channels")[0].GetProperty("_id").GetString()!;
        var invite = (await PostAsync($"/channels/{channelId}/invites", owner)).GetProperty("_id").GetString()!;
        foreach (var member in members) await PostAsync($"/invites/{invite}", member);
        return (serverId, channelId);
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class EventsClusterCollection : ICollectionFixture<EventsCluster>
{
    public const string Name = "events cluster";
}
