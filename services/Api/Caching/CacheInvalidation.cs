using System.Collections.Concurrent;
using Spokes.Contracts.Presence;
using StackExchange.Redis;

namespace Spokes.Api.Caching;

/// <summary>
/// Keeps every Api replica's <see cref="RecordCache"/> in step with the store. A writer drops what it changed here,
/// then publishes the keys on <see cref="Channel"/> and waits (up to <see cref="AcknowledgementWait"/>) until every
/// replica that received them has dropped them too and said so, so that no request after the writer's answer, on
/// any replica, sees the old record.
/// <para>
/// A sharded channel of its own, not the Stoat event topics: the Events service subscribes to every ordinary
/// channel by pattern, so only a sharded publish counts exactly the Api replicas that must acknowledge (and Events
/// never sees this traffic); and an event is published without waiting, after the fact, on topics that do not
/// name every record a write changes.
/// </para>
/// <para>
/// Each replica also sends itself a heartbeat through the same channel; Redis delivers a subscriber's messages in
/// order, so a replica whose heartbeat came back has heard every invalidation published before it. A replica that
/// has not heard its heartbeat for <see cref="RecordCache.TrustWindow"/>, or lost its connection, stops serving
/// from its cache (see <see cref="RecordCache.IsTrusted"/>) before any writer stops waiting for it.
/// </para>
/// <para>
/// The Events service tells presence changes on the same channel (<see cref="PresenceKeys.Changed"/>), from the
/// script that makes them and without waiting for acknowledgements: the held presence is dropped like any record.
/// </para>
/// </summary>
public sealed class CacheInvalidation(IConnectionMultiplexer redis, RecordCache cache, TimeProvider clock, ILogger<CacheInvalidation> logger)
    : BackgroundService
{
    public static readonly RedisChannel Channel = RedisChannel.Sharded(PresenceKeys.ApiCacheChannel);

    public static readonly TimeSpan AcknowledgementWait = TimeSpan.FromSeconds(2);

    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromMilliseconds(250);

    private readonly string _replica = Guid.NewGuid().ToString("N");
    private readonly ConcurrentDictionary<long, Acknowledgements> _waiting = new();
    private long _lastInvalidation;

    private static RedisChannel AcknowledgementChannel(string replica) => RedisChannel.Sharded("spokes:api:cache:" + replica);

    /// <summary>Runs a write, then invalidates <paramref name="keys"/> everywhere; a write that answers false changed nothing and invalidates nothing.</summary>
    public async Task<T> AfterAsync<T>(Func<Task<T>> write, params string[] keys)
    {
        var changed = true;
        try
        {
            var result = await write();
            changed = result is not false;
            return result;
        }
        finally
        {
            // Also after a failed write: it may have been applied before the failure.
            if (changed) await InvalidateAsync(keys);
        }
    }

    public async Task AfterAsync(Func<Task> write, params string[] keys)
    {
        try
        {
            await write();
        }
        finally
        {
            await InvalidateAsync(keys);
        }
    }

    /// <summary>Drops <paramref name="keys"/> here and on every replica; returns once all have acknowledged or the wait is over.</summary>
    public async Task InvalidateAsync(IReadOnlyCollection<string> keys)
    {
        cache.Invalidate(keys);
        var number = Interlocked.Increment(ref _lastInvalidation);
        var acknowledgements = new Acknowledgements();
        _waiting[number] = acknowledgements;
        try
        {
            var receivers = await redis.GetSubscriber().PublishAsync(Channel, $"i {_replica} {number} {string.Join(' ', keys)}");
            if (!await acknowledgements.WaitAsync((int)receivers, AcknowledgementWait, clock))
                logger.LogWarning("Not every Api replica acknowledged dropping {Keys} within {Wait}; those that did not have stopped serving from their caches",
                    keys, AcknowledgementWait);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            // Without Redis no replica hears its heartbeat either, so none serves from its cache for long.
            logger.LogWarning(e, "Dropping {Keys} from the other Api replicas' caches could not be published: Redis did not answer", keys);
        }
        finally
        {
            _waiting.TryRemove(number, out _);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        redis.ConnectionFailed += OnConnectionFailed;
        var subscriber = redis.GetSubscriber();
        try
        {
            var messages = await UntilSubscribedAsync(() => subscriber.SubscribeAsync(Channel), stoppingToken);
            // A queue hands messages on one at a time, in the order Redis delivered them: the heartbeat's promise.
            messages.OnMessage(Receive);
            await UntilSubscribedAsync(async () =>
            {
                await subscriber.SubscribeAsync(AcknowledgementChannel(_replica), (_, number) =>
                {
                    if (long.TryParse(number.ToString(), out var acknowledged) && _waiting.TryGetValue(acknowledged, out var waiting)) waiting.Add();
                });
                return true;
            }, stoppingToken);
            using var timer = new PeriodicTimer(HeartbeatInterval, clock);
            do
            {
                try
                {
                    await subscriber.PublishAsync(Channel, $"h {_replica} {clock.GetTimestamp()}", CommandFlags.FireAndForget);
                }
                catch (Exception e) when (e is RedisException or TimeoutException)
                {
                    logger.LogDebug("No cache heartbeat sent: {Error}", e.Message);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            redis.ConnectionFailed -= OnConnectionFailed;
            cache.Distrust();
            // So that writers stop counting this replica among those that must acknowledge.
            await Task.WhenAll(Unsubscribe(subscriber, Channel), Unsubscribe(subscriber, AcknowledgementChannel(_replica)));
        }
    }

    /// <summary>
    /// Both subscriptions are tried until Redis answers: one that failed would end this service, and with it the Api
    /// (a background service's exception stops the host), when Redis is only slow or away for a moment at start.
    /// </summary>
    private async Task<T> UntilSubscribedAsync<T>(Func<Task<T>> subscribe, CancellationToken stoppingToken)
    {
        while (true)
        {
            try
            {
                return await subscribe();
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                logger.LogWarning("Cannot subscribe to cache invalidations yet ({Error}); serving from the store meanwhile", e.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), clock, stoppingToken);
            }
        }
    }

    private static async Task Unsubscribe(ISubscriber subscriber, RedisChannel channel)
    {
        try
        {
            await subscriber.UnsubscribeAsync(channel);
        }
        catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException)
        {
            // Redis is gone or the connection closed: the subscription went with it.
        }
    }

    private void Receive(ChannelMessage message)
    {
        var parts = message.Message.ToString().Split(' ');
        if (parts is ["p", var user])
        {
            cache.Invalidate([CacheKeys.Presence(user)]);
            return;
        }
        if (parts.Length < 3) return;
        if (parts[0] == "h")
        {
            if (parts[1] == _replica && long.TryParse(parts[2], out var sentAt)) cache.Heard(sentAt);
            return;
        }
        if (parts[0] != "i") return;
        cache.Invalidate(parts.Skip(3));
        try
        {
            redis.GetSubscriber().Publish(AcknowledgementChannel(parts[1]), parts[2], CommandFlags.FireAndForget);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            logger.LogDebug("A cache invalidation was not acknowledged: {Error}", e.Message);
        }
    }

    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e)
    {
        cache.Distrust();
        logger.LogWarning("Redis connection ({Type}) lost: serving records from the store until cache invalidations are heard again", e.ConnectionType);
    }

    /// <summary>Counts acknowledgements, which may come before the publisher learns how many to expect.</summary>
    private sealed class Acknowledgements
    {
        private readonly TaskCompletionSource _all = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _received;
        private int _expected = int.MaxValue;

        public void Add()
        {
            if (Interlocked.Increment(ref _received) >= Volatile.Read(ref _expected)) _all.TrySetResult();
        }

        public async Task<bool> WaitAsync(int expected, TimeSpan wait, TimeProvider clock)
        {
            Volatile.Write(ref _expected, expected);
            if (Volatile.Read(ref _received) >= expected) return true;
            try
            {
                await _all.Task.WaitAsync(wait, clock);
                return true;
            }
            catch (TimeoutException)
            {
                return false;
            }
        }
    }
}
