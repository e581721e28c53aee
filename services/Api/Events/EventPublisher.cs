using System.Text.Json;
using System.Text.Json.Serialization;
using StackExchange.Redis;

namespace Spokes.Api.Events;

/// <summary>
/// Publishes Stoat's <c>EventV1</c> JSON (<c>{"type": …}</c>) to the Redis topics Stoat uses — <c>{user}!</c>
/// for a user's private events — for the Events service to fan out to sockets. Events notify; the state
/// they describe is already stored, and a client that misses one gets it in its next Ready.
/// </summary>
public sealed class EventPublisher(IConnectionMultiplexer redis, ILogger<EventPublisher> logger)
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static string PrivateTopic(string userId) => userId + "!";

    public async Task PublishAsync(string topic, StoatEvent @event)
    {
        try
        {
            await redis.GetSubscriber().PublishAsync(RedisChannel.Literal(topic), JsonSerializer.Serialize<object>(@event, Json));
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            logger.LogWarning(e, "{Type} for {Topic} was not published: Redis did not answer", @event.Type, topic);
        }
    }
}

/// <summary>An <c>EventV1</c>; <see cref="Type"/> is its tag on the wire.</summary>
public abstract record StoatEvent
{
    [JsonPropertyOrder(-1)]
    public abstract string Type { get; }
}

/// <summary>How <see cref="Id"/> now stands with <see cref="User"/>, as <see cref="Id"/> sees that user.</summary>
public sealed record UserRelationshipEvent(string Id, Models.UserResponse User) : StoatEvent
{
    public override string Type => "UserRelationship";
}

/// <summary>
/// A user changed: <see cref="Data"/> holds the new values of the changed fields, <see cref="Clear"/> the
/// fields removed; <see cref="EventId"/> lets the Events service drop duplicates.
/// </summary>
public sealed record UserUpdateEvent(string Id, IReadOnlyDictionary<string, object?> Data, IReadOnlyList<string> Clear, string EventId) : StoatEvent
{
    public override string Type => "UserUpdate";
}
