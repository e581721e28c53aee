using System.Collections.Concurrent;
using System.Text.Json;
using StackExchange.Redis;

namespace Spokes.Api.Tests;

/// <summary>A user who signed up, logged in and onboarded; <see cref="Tag"/> is <c>username#discriminator</c>.</summary>
public sealed record OnboardedUser(StoatSession Client, string Id, string Tag)
{
    public const string Password = "correct horse battery staple";

    public static Task<OnboardedUser> CreateAsync(ApiFixture api, string username) => CreateAsync(api.Factory, username);

    public static async Task<OnboardedUser> CreateAsync(Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program> api, string username)
    {
        var client = new StoatSession(api.CreateClient());
        var email = $"{username}-{Guid.NewGuid():N}@example.com";
        await client.PostAsync("/auth/account/create", "/auth/account/create", new { email, password = Password });
        client.Token = (await client.PostAsync("/auth/session/login", "/auth/session/login", new { email, password = Password })).Body.GetProperty("token").GetString();
        var me = (await client.PostAsync("/onboard/complete", "/onboard/complete", new { username })).Body;
        return new OnboardedUser(client, me.GetProperty("_id").GetString()!, $"{username}#{me.GetProperty("discriminator").GetString()}");
    }
}

/// <summary>Every EventV1 the Api publishes on Redis, as the Events service will receive them.</summary>
public sealed class PublishedEvents : IAsyncDisposable
{
    private readonly ConnectionMultiplexer _redis;
    private readonly ConcurrentQueue<(string Topic, JsonElement Event)> _events = new();

    private PublishedEvents(ConnectionMultiplexer redis) => _redis = redis;

    public static async Task<PublishedEvents> SubscribeAsync(ApiFixture api)
    {
        var events = new PublishedEvents(await ConnectionMultiplexer.ConnectAsync(api.RedisConnectionString));
        // A queue, as the Events service reads it: handlers may run out of order, a queue hands messages on in order.
        (await events._redis.GetSubscriber().SubscribeAsync(RedisChannel.Pattern("*"))).OnMessage(message =>
            events._events.Enqueue((message.Channel.ToString(), JsonDocument.Parse(message.Message.ToString()).RootElement.Clone())));
        return events;
    }

    /// <summary>The first event on <paramref name="topic"/> that matches, waiting up to five seconds for it.</summary>
    public async Task<JsonElement> WaitForAsync(string topic, string type, Func<JsonElement, bool> match)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(5))
        {
            var found = _events.FirstOrDefault(e => e.Topic == topic && e.Event.GetProperty("type").GetString() == type && match(e.Event));
            if (found.Topic is not null) return found.Event;
            await Task.Delay(50);
        }
        throw new Xunit.Sdk.XunitException($"No matching {type} reached topic {topic}");
    }

    /// <summary>The events published so far on <paramref name="topic"/>, in the order published.</summary>
    public IReadOnlyList<JsonElement> On(string topic) => _events.Where(e => e.Topic == topic).Select(e => e.Event).ToList();

    public async ValueTask DisposeAsync() => await _redis.DisposeAsync();
}
