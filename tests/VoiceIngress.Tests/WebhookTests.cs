using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using MassTransit;
using MassTransit.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Spokes.Contracts.Voice;
using Spokes.TestSupport;
using StackExchange.Redis;

namespace Spokes.VoiceIngress.Tests;

/// <summary>
/// Voice-Ingress as a LiveKit node meets it: webhooks signed by LiveKit's own SDK are turned into voice state and
/// Stoat's events; anything not signed by the node (a tampered body, another secret, no header) is refused and
/// changes nothing.
/// </summary>
public class WebhookTests : IAsyncLifetime
{
    private const string ApiKey = "node-key";
    private const string ApiSecret = "node-secret-of-thirty-two-characters";

    private readonly RedisServer _redis = new();
    private WebApplicationFactory<Program> _ingress = null!;
    private ConnectionMultiplexer _connection = null!;
    private readonly ConcurrentQueue<(string Topic, JsonElement Event)> _events = new();

    private VoiceStates States => new(_connection);

    public async Task InitializeAsync()
    {
        await _redis.InitializeAsync();
        _ingress = new WebApplicationFactory<Program>().WithWebHostBuilder(web => web
            .UseSetting("ConnectionStrings:redis", _redis.ConnectionString)
            .UseSetting("ConnectionStrings:rabbitmq", "amqp://guest:guest@127.0.0.1:1/")
            .UseSetting("LiveKit:Url", "http://127.0.0.1:7880")
            .UseSetting("LiveKit:ApiKey", ApiKey)
            .UseSetting("LiveKit:ApiSecret", ApiSecret)
            .UseSetting("Api:PublicUrl", "https://chat.example.com")
            // The commands for the Api are kept in memory, where the test reads them.
            .ConfigureTestServices(services => services.AddMassTransitTestHarness()));
        _connection = await ConnectionMultiplexer.ConnectAsync(_redis.ConnectionString);
        (await _connection.GetSubscriber().SubscribeAsync(RedisChannel.Pattern("*"))).OnMessage(message =>
            _events.Enqueue((message.Channel.ToString(), JsonDocument.Parse(message.Message.ToString()).RootElement.Clone())));
    }

    public async Task DisposeAsync()
    {
        await Teardown.DisposeAsync(_ingress, _connection);
        await _redis.DisposeAsync();
    }

    private async Task<HttpStatusCode> PostAsync(string body, string? authorization, string node = "worldwide")
    {
        using var client = _ingress.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/{node}") { Content = new StringContent(body, Encoding.UTF8, "application/webhook+json") };
        if (authorization is not null) request.Headers.TryAddWithoutValidation("Authorization", authorization);
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }

    private async Task<HttpStatusCode> SendAsync(string @event, string room, string? identity = null, string? source = null)
    {
        var (body, authorization) = await LiveKitSdk.WebhookAsync(ApiKey, ApiSecret, @event, room, identity, source);
        return await PostAsync(body, authorization);
    }

    private async Task<JsonElement> EventAsync(string topic, string type)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(5))
        {
            var found = _events.FirstOrDefault(e => e.Topic == topic && e.Event.GetProperty("type").GetString() == type);
            if (found.Topic is not null) return found.Event;
            await Task.Delay(50);
        }
        throw new Xunit.Sdk.XunitException($"No {type} on {topic}");
    }

    private static string NewId() => Guid.NewGuid().ToString("N")[..26].ToUpperInvariant();

    [Fact]
    public async Task A_call_from_first_join_to_last_leave_becomes_voice_state_events_and_the_commands_for_its_message()
    {
        string channel = NewId(), alice = NewId(), bob = NewId();
        var harness = _ingress.Services.GetTestHarness();

        Assert.Equal(HttpStatusCode.NoContent, await SendAsync("participant_joined", channel, alice));
        var joined = await EventAsync(channel, "VoiceChannelJoin");
        Assert.Equal((channel, alice, true, false), (joined.GetProperty("id").GetString(), joined.GetProperty("state").GetProperty("id").GetString(),
            joined.GetProperty("state").GetProperty("is_receiving").GetBoolean(), joined.GetProperty("state").GetProperty("is_publishing").GetBoolean()));
        Assert.True(await harness.Published.Any<CallStarted>(m => m.Context.Message.ChannelId == channel && m.Context.Message.UserId == alice));
        Assert.Equal(HttpStatusCode.NoContent, await SendAsync("participant_joined", channel, bob));
        Assert.Single(harness.Published.Select<CallStarted>(m => m.Context.Message.ChannelId == channel));

        Assert.Equal(HttpStatusCode.NoContent, await SendAsync("track_published", channel, alice, "MICROPHONE"));
        var update = await EventAsync(channel, "UserVoiceStateUpdate");
        Assert.Equal((alice, channel), (update.GetProperty("id").GetString(), update.GetProperty("channel_id").GetString()));
        Assert.Equal("""{"is_publishing":true}""", update.GetProperty("data").GetRawText());
        Assert.True((await States.GetAsync(channel, alice))!.IsPublishing);
        Assert.Equal(HttpStatusCode.NoContent, await SendAsync("track_published", channel, alice, "CAMERA"));
        Assert.Equal(HttpStatusCode.NoContent, await SendAsync("track_muted", channel, alice, "MICROPHONE"));
        Assert.Equal((false, true), ((await States.GetAsync(channel, alice))!.IsPublishing, (await States.GetAsync(channel, alice))!.Camera));

        Assert.Equal(HttpStatusCode.NoContent, await SendAsync("participant_left", channel, alice));
        var left = await EventAsync(channel, "VoiceChannelLeave");
        Assert.Equal(alice, left.GetProperty("user").GetString());
        Assert.False(await harness.Published.Any<CallEnded>(m => m.Context.Message.ChannelId == channel));
        Assert.Equal(HttpStatusCode.NoContent, await SendAsync("participant_left", channel, bob));
        Assert.True(await harness.Published.Any<CallEnded>(m => m.Context.Message.ChannelId == channel));
        Assert.Empty(await States.InChannelAsync(channel));
        Assert.Empty(await States.ChannelsOfAsync(alice));
    }

    [Fact]
    public async Task Joining_another_call_while_still_in_one_is_a_move_and_a_finished_room_empties_its_call()
    {
        string first = NewId(), second = NewId(), user = NewId();
        await SendAsync("participant_joined", first, user);
        await SendAsync("participant_joined", second, user);
        var moved = await EventAsync(second, "VoiceChannelMove");
        Assert.Equal((user, first, second), (moved.GetProperty("user").GetString(), moved.GetProperty("from").GetString(), moved.GetProperty("to").GetString()));
        Assert.Equal([second], await States.ChannelsOfAsync(user));

        Assert.Equal(HttpStatusCode.NoContent, await SendAsync("room_finished", second));
        await EventAsync(second, "VoiceChannelLeave");
        Assert.Empty(await States.InChannelAsync(second));
    }

    [Fact]
    public async Task Webhooks_not_signed_by_the_node_are_refused_and_change_nothing()
    {
        string channel = NewId(), user = NewId();
        var (body, authorization) = await LiveKitSdk.WebhookAsync(ApiKey, ApiSecret, "participant_joined", channel, user);

        Assert.Equal(HttpStatusCode.Unauthorized, await PostAsync(body.Replace(user, NewId()), authorization));
        Assert.Equal(HttpStatusCode.Unauthorized, await PostAsync(body, null));
        Assert.Equal(HttpStatusCode.Unauthorized, await PostAsync(body, "not a token"));
        var (_, otherSecret) = await LiveKitSdk.WebhookAsync(ApiKey, "another-secret-another-secret-1234", "participant_joined", channel, user);
        Assert.Equal(HttpStatusCode.Unauthorized, await PostAsync(body, otherSecret));
        var (_, otherKey) = await LiveKitSdk.WebhookAsync("another-key", ApiSecret, "participant_joined", channel, user);
        Assert.Equal(HttpStatusCode.Unauthorized, await PostAsync(body, otherKey));
        Assert.Equal(HttpStatusCode.NotFound, await PostAsync(body, authorization, node: "mars"));

        // Signed, but not a webhook event: refused as malformed.
        var (garbage, garbageAuthorization) = await SignedAsync("{\"room\": ");
        Assert.Equal(HttpStatusCode.BadRequest, await PostAsync(garbage, garbageAuthorization));

        Assert.Empty(await States.InChannelAsync(channel));
        Assert.DoesNotContain(_events, e => e.Topic == channel);
        Assert.False(await _ingress.Services.GetTestHarness().Published.Any<CallStarted>(m => m.Context.Message.ChannelId == channel));

        // The very same webhook, untouched, is taken.
        Assert.Equal(HttpStatusCode.NoContent, await PostAsync(body, authorization));
        await EventAsync(channel, "VoiceChannelJoin");
    }

    /// <summary>Any body, signed with the node's secret as LiveKit signs webhooks.</summary>
    private static Task<(string Body, string Authorization)> SignedAsync(string body)
    {
        var hash = Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(body)));
        var token = LiveKitJwt.Sign(ApiKey, ApiSecret, new System.Text.Json.Nodes.JsonObject { ["sha256"] = hash }, TimeSpan.FromMinutes(5), DateTimeOffset.UtcNow);
        return Task.FromResult((body, token));
    }
}
