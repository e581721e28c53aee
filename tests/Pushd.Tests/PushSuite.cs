using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Spokes.TestSupport;

namespace Spokes.Pushd.Tests;

/// <summary>
/// The Api and Pushd as the AppHost runs them, on real Redis and RabbitMQ, with a VAPID pair made by npm web-push and
/// browsers' endpoints played by npm (<see cref="PushReceiver"/>), which the egress rules let Pushd reach.
/// </summary>
public sealed class PushSuite : IAsyncLifetime
{
    private const string InternalKey = "push-suite-internal-key";
    public const int Receivers = 4;

    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly TemporaryFolder _folder = new("spokes-pushd");
    private readonly RedisServer _redis = new();
    private readonly int _apiPort = Ports.Free();
    private readonly int _apiGrpcPort = Ports.Free();
    private readonly int _pushdPort = Ports.Free();
    private LocalProgram _api = null!;
    private LocalProgram _pushd = null!;

    public RabbitMqServer RabbitMq { get; } = new();

    public List<PushReceiver> Browsers { get; } = [];

    /// <summary>A browser whose push service says the subscription is gone.</summary>
    public PushReceiver GoneBrowser { get; private set; } = null!;

    public string ApiUrl => $"http://127.0.0.1:{_apiPort}";

    private string Database => Path.Combine(_folder.Path, "spokes.db");

    public async Task InitializeAsync()
    {
        var (vapidPublic, vapidPrivate) = await PushReceiver.VapidKeysAsync();
        await Task.WhenAll(_redis.InitializeAsync(), RabbitMq.InitializeAsync());
        for (var i = 0; i < Receivers; i++) Browsers.Add(await PushReceiver.StartAsync(vapidPublic));
        GoneBrowser = await PushReceiver.StartAsync(vapidPublic, 410, 410, 410);

        _api = LocalProgram.Service("api", "Spokes.Api", _apiPort, new()
        {
            ["ConnectionStrings__mongo"] = $"Data Source={Database}",
            ["ConnectionStrings__redis"] = _redis.ConnectionString,
            ["ConnectionStrings__rabbitmq"] = RabbitMq.ConnectionString,
            ["Kestrel__Endpoints__http__Url"] = ApiUrl,
            ["Kestrel__Endpoints__http__Protocols"] = "Http1AndHttp2",
            ["Kestrel__Endpoints__grpc__Url"] = $"http://127.0.0.1:{_apiGrpcPort}",
            ["Kestrel__Endpoints__grpc__Protocols"] = "Http2",
            ["Internal__Key"] = InternalKey,
            ["Api__PublicUrl"] = "http://127.0.0.1",
            ["Api__MasterPassword"] = "tests master password",
            ["Api__VapidPublicKey"] = vapidPublic,
            ["Api__RateLimit__Enabled"] = "false",
        }, _folder.Path);
        await _api.StartAsync();

        // The vapid key Pushd signs with is the one GET / announces, as the AppHost hands both the same pair.
        var announced = (await _http.GetFromJsonAsync<JsonElement>(ApiUrl + "/")).GetProperty("vapid").GetString()!;
        _pushd = LocalProgram.Service("pushd", "Spokes.Pushd", _pushdPort, new()
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{_pushdPort}",
            ["ConnectionStrings__redis"] = _redis.ConnectionString,
            ["ConnectionStrings__rabbitmq"] = RabbitMq.ConnectionString,
            ["services__api__grpc__0"] = $"http://127.0.0.1:{_apiGrpcPort}",
            ["Internal__Key"] = InternalKey,
            ["Pushd__PublicUrl"] = "http://127.0.0.1",
            ["Pushd__VapidPublicKey"] = announced,
            ["Pushd__VapidPrivateKey"] = vapidPrivate,
            ["Egress__Allow"] = string.Join(',', Browsers.Append(GoneBrowser).Select(b => new Uri(b.Endpoint).Authority)),
        }, _folder.Path);
        await _pushd.StartAsync();
    }

    /// <summary>A new onboarded user: id, session token and <c>username#discriminator</c>.</summary>
    public async Task<(string Id, string Token, string Tag)> SignUpAsync(string name)
    {
        var email = $"{name}-{Guid.NewGuid():N}@example.com";
        const string password = "correct horse battery staple";
        await SendAsync(HttpMethod.Post, "/auth/account/create", null, new { email, password });
        var session = await SendAsync(HttpMethod.Post, "/auth/session/login", null, new { email, password, friendly_name = "tests" });
        var token = session.GetProperty("token").GetString()!;
        var username = name + Guid.NewGuid().ToString("N")[..6];
        await SendAsync(HttpMethod.Post, "/onboard/complete", token, new { username });
        var me = await SendAsync(HttpMethod.Get, "/users/@me", token);
        return (session.GetProperty("user_id").GetString()!, token, $"{username}#{me.GetProperty("discriminator").GetString()}");
    }

    /// <summary>
    /// The session's subscription, as a browser's would be stored, but pointing at a local http endpoint: the Api's
    /// rule that subscriptions be https is for clients, and these browsers have no certificate.
    /// </summary>
    public async Task SubscribeAsync(string token, PushReceiver browser)
    {
        await using var connection = new SqliteConnection($"Data Source={Database}");
        await connection.OpenAsync();
        var command = connection.CreateCommand();
        command.CommandText = "UPDATE sessions SET subscription = $subscription WHERE token = $token";
        command.Parameters.AddWithValue("$subscription", JsonSerializer.Serialize(new { endpoint = browser.Endpoint, p256dh = browser.P256dh, auth = browser.Auth }));
        command.Parameters.AddWithValue("$token", token);
        Assert.Equal(1, await command.ExecuteNonQueryAsync());
    }

    public async Task<bool> IsSubscribedAsync(string token)
    {
        await using var connection = new SqliteConnection($"Data Source={Database}");
        await connection.OpenAsync();
        var command = connection.CreateCommand();
        command.CommandText = "SELECT subscription IS NOT NULL FROM sessions WHERE token = $token";
        command.Parameters.AddWithValue("$token", token);
        return (long)(await command.ExecuteScalarAsync())! == 1;
    }

    /// <summary>Makes friends of the two (a asks, b accepts) and returns their DM channel.</summary>
    public async Task<string> BefriendAsync((string Id, string Token, string Tag) a, (string Id, string Token, string Tag) b)
    {
        await SendAsync(HttpMethod.Post, "/users/friend", a.Token, new { username = b.Tag });
        await SendAsync(HttpMethod.Put, $"/users/{a.Id}/friend", b.Token);
        return (await SendAsync(HttpMethod.Get, $"/users/{b.Id}/dm", a.Token)).GetProperty("_id").GetString()!;
    }

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

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await Teardown.DisposeAsync([_pushd, _api, .. Browsers, GoneBrowser]);
        await RabbitMq.DisposeAsync();
        await _redis.DisposeAsync();
        _folder.Dispose();
    }
}
