using StackExchange.Redis;

namespace Spokes.Pushd.Delivery;

/// <summary>
/// Remembers which subscriptions an event was sent to, so a redelivered event (RabbitMQ hands a message out again when
/// its acknowledgement was lost) sends nothing twice. A subscription is claimed before it is sent to, and the claim is
/// kept whatever the send's outcome: a push is sent at most once, and a Pushd that dies mid-send loses that one push
/// rather than sending it twice.
/// </summary>
public interface IDeliveryLedger
{
    /// <summary>True when this is the first claim of (<paramref name="eventId"/>, <paramref name="sessionId"/>).</summary>
    Task<bool> TryClaimAsync(Guid eventId, string sessionId);

    Task<bool> IsCompleteAsync(Guid eventId);

    Task CompleteAsync(Guid eventId);
}

public sealed class RedisDeliveryLedger(IConnectionMultiplexer redis, Microsoft.Extensions.Options.IOptions<PushdOptions> options) : IDeliveryLedger
{
    private const string Prefix = "spokes:pushd:";
    private readonly TimeSpan _window = options.Value.DeduplicationWindow;

    public Task<bool> TryClaimAsync(Guid eventId, string sessionId) =>
        redis.GetDatabase().StringSetAsync($"{Prefix}sent:{eventId:N}:{sessionId}", 1, _window, When.NotExists);

    public Task<bool> IsCompleteAsync(Guid eventId) => redis.GetDatabase().KeyExistsAsync($"{Prefix}done:{eventId:N}");

    public Task CompleteAsync(Guid eventId) => redis.GetDatabase().StringSetAsync($"{Prefix}done:{eventId:N}", 1, _window);
}
