using System.Net.Http.Json;
using System.Text.Json;
using Spokes.TestSupport;
using StackExchange.Redis;

namespace Spokes.Events.Tests;

/// <summary>
/// The real processes, with the settings the AppHost gives them: Redis, RabbitMQ, the Api (SQLite) and two
/// Events nodes on one Redis, each on its own port.
/// </summary>
public sealed class EventsCluster : IAsyncLifetime
{
    /// <summary>The suite's internal key, as the AppHost hands it to the Api and the Events nodes.</summary>
    public const string InternalKey = "events-cluster-internal-key";

    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly TemporaryFolder _folder = new("spokes-events");
    private readonly RabbitMqServer _rabbitmq = new();
    private readonly int _apiHttpPort = Ports.Free();
    private readonly int _apiGrpcPort = Ports.Free();
    private readonly int _nodeAPort = Ports.Free();
    private readonly int _nodeBPort = Ports.Free();
    private readonly LocalProgram _api;
    private readonly LocalProgram _nodeA;

    public EventsCluster()
    {
        // The Api as WithGrpcEndpoint sets it up: both endpoints named in Kestrel's settings, gRPC on a port of its own.
        _api = LocalProgram.Service("api", "Spokes.Api", _apiHttpPort, new()
        {
            ["ConnectionStrings__mongo"] = $"Data Source={Path.Combine(_folder.Path, "spokes.db")}",
            ["ConnectionStrings__redis"] = Redis.ConnectionString,
            ["ConnectionStrings__rabbitmq"] = _rabbitmq.ConnectionString,
            ["Kestrel__Endpoints__http__Url"] = $"http://127.0.0.1:{_apiHttpPort}",
            ["Kestrel__Endpoints__http__Protocols"] = "Http1AndHttp2",
            ["Kestrel__Endpoints__grpc__Url"] = $"http://127.0.0.1:{_apiGrpcPort}",
            ["Internal__Key"] = InternalKey,
            ["Kestrel__Endpoints__grpc__Protocols"] = "Http2",
            ["Api__PublicUrl"] = "http://127.0.0.1",
            ["Api__VapidPublicKey"] = "BExampleVapidKey",
            ["Api__RateLimit__Enabled"] = "false",
            ["Api__MasterPassword"] = "events tests master password",
        }, _folder.Path);
        // Small enough that a client which stops reading overflows it quickly.
        _nodeA = EventsNode("events-a", _nodeAPort, ("Events__SendQueueLimit", "64"));
        NodeB = EventsNode("events-b", _nodeBPort);
    }

    public RedisServer Redis { get; } = new();

    public LocalProgram NodeB { get; }

    public string ApiUrl => $"http://127.0.0.1:{_apiHttpPort}";

    /// <summary>The Api's internal gRPC endpoint, which the Events nodes call.</summary>
    public string ApiGrpcUrl => $"http://127.0.0.1:{_apiGrpcPort}";

    public string NodeAUrl => $"ws://127.0.0.1:{_nodeAPort}";

    public string NodeBUrl => $"ws://127.0.0.1:{_nodeBPort}";

    /// <summary>An Events node with what the AppHost's references to Redis and the Api give it, on a port of its own.</summary>
    private LocalProgram EventsNode(string name, int port, params (string Key, string Value)[] settings)
    {
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
            ["ConnectionStrings__redis"] = Redis.ConnectionString,
            ["services__api__http__0"] = ApiUrl,
            ["services__api__grpc__0"] = $"http://127.0.0.1:{_apiGrpcPort}",
            ["Internal__Key"] = InternalKey,
        };
        foreach (var (key, value) in settings) environment[key] = value;
        return LocalProgram.Service(name, "Spokes.Events", port, environment, _folder.Path);
    }

    public async Task InitializeAsync()
    {
        await Redis.InitializeAsync();
        await _rabbitmq.InitializeAsync();
        await _api.StartAsync();
        await _nodeA.StartAsync();
        await NodeB.StartAsync();
    }

    public async Task<IConnectionMultiplexer> ConnectRedisAsync() => await ConnectionMultiplexer.ConnectAsync(Redis.ConnectionString);

    /// <summary>A new onboarded user: their id and session token.</summary>
    public const string Password = "correct horse battery staple";

    public async Task<(string UserId, string Token)> SignUpAsync(string name)
    {
        var email = $"{name}-{Guid.NewGuid():N}@example.com";
        const string password = Password;
        await PostAsync("/auth/account/create", null, new { email, password });
        var session = await PostAsync("/auth/session/login", null, new { email, password, friendly_name = "tests" });
        var token = session.GetProperty("token").GetString()!;
        await PostAsync("/onboard/complete", token, new { username = name });
        return (session.GetProperty("user_id").GetString()!, token);
    }

    public async Task<JsonElement> PostAsync(string path, string? token, object? body = null) => await SendAsync(HttpMethod.Post, path, token, body);

    public async Task<JsonElement> SendAsync(HttpMethod method, string path, string? token, object? body = null, string? mfaTicket = null)
    {
        using var request = new HttpRequestMessage(method, ApiUrl + path);
        if (token is not null) request.Headers.Add("X-Session-Token", token);
        if (mfaTicket is not null) request.Headers.Add("X-MFA-Ticket", mfaTicket);
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
        // Dependents before their dependencies.
        await NodeB.DisposeAsync();
        await _nodeA.DisposeAsync();
        await _api.DisposeAsync();
        await _rabbitmq.DisposeAsync();
        await Redis.DisposeAsync();
        _folder.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class EventsClusterCollection : ICollectionFixture<EventsCluster>
{
    public const string Name = "events cluster";
}
