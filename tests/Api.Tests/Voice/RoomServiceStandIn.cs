using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Spokes.Contracts.Voice;

namespace Spokes.Api.Tests.Voice;

/// <summary>
/// LiveKit's RoomService as the Api meets it: Twirp JSON at <c>/twirp/livekit.RoomService/{method}</c>, answering
/// only calls whose bearer token is an admin token of its key and secret. Every authorised call is kept.
/// </summary>
public sealed class RoomServiceStandIn : IAsyncDisposable
{
    public const string ApiKey = "spokes-test";
    public const string ApiSecret = "a-test-secret-of-thirty-two-chars!";

    public sealed record Call(string Method, JsonObject Body, JsonObject Grant);

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<Call> _calls = new();
    private int _participants;

    private RoomServiceStandIn(WebApplication app) => _app = app;

    public string Url => _app.Urls.First();

    public IReadOnlyList<Call> Calls => _calls.ToList();

    /// <summary>How many participants CreateRoom reports the room has.</summary>
    public void ReportParticipants(int count) => _participants = count;

    public static async Task<RoomServiceStandIn> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var standIn = new RoomServiceStandIn(app);
        app.MapPost("/twirp/livekit.RoomService/{method}", async (string method, HttpContext context) =>
        {
            var authorization = context.Request.Headers.Authorization.ToString();
            var claims = authorization.StartsWith("Bearer ", StringComparison.Ordinal)
                ? LiveKitJwt.Verify(authorization[7..], ApiKey, ApiSecret, DateTimeOffset.UtcNow)
                : null;
            if (claims?["video"] is not JsonObject grant) return Results.Json(new { code = "unauthenticated", msg = "invalid token" }, statusCode: 401);
            var body = await JsonNode.ParseAsync(context.Request.Body) as JsonObject ?? [];
            standIn._calls.Enqueue(new Call(method, body, grant));
            return method switch
            {
                "CreateRoom" => Results.Json(new JsonObject { ["sid"] = "RM_1", ["name"] = body["name"]?.DeepClone(), ["num_participants"] = standIn._participants }),
                _ => Results.Json(new JsonObject()),
            };
        });
        await app.StartAsync();
        return standIn;
    }

    /// <summary>The calls of <paramref name="method"/> so far, waiting up to five seconds for one that matches.</summary>
    public async Task<Call> WaitForAsync(string method, Func<Call, bool> match)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(5))
        {
            if (_calls.FirstOrDefault(c => c.Method == method && match(c)) is { } found) return found;
            await Task.Delay(50);
        }
        throw new Xunit.Sdk.XunitException($"RoomService saw no matching {method}; it saw {string.Join(", ", _calls.Select(c => c.Method))}");
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
