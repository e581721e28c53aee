using System.Text.Json.Nodes;
using StackExchange.Redis;

namespace Spokes.Events.Fanout;

/// <summary>Publishes events this node makes (typing, presence) to Stoat's Redis topics, for every node's sockets.</summary>
public sealed class RedisEvents(IConnectionMultiplexer redis, ILogger<RedisEvents> logger)
{
    public async Task PublishAsync(string topic, JsonObject @event)
    {
        try
        {
            await redis.GetSubscriber().PublishAsync(RedisChannel.Literal(topic), @event.ToJsonString());
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            logger.LogWarning("{Type} for {Topic} was not published: {Error}", @event["type"], topic, e.Message);
        }
    }
}

/// <summary>
/// The node's one Redis subscription: every published event, in order, into the <see cref="EventRouter"/>.
/// When the subscription's connection drops, events are being missed, so every socket is closed with a reason;
/// Stoat's clients reconnect and get a fresh Ready once Redis answers again.
/// </summary>
public sealed class RedisFirehose(IConnectionMultiplexer redis, EventRouter router, TopicHub hub, ILogger<RedisFirehose> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        redis.ConnectionFailed += OnConnectionFailed;
        redis.ConnectionRestored += OnConnectionRestored;
        try
        {
            var queue = await SubscribeAsync(stoppingToken);
            while (!stoppingToken.IsCancellationRequested)
            {
                var message = await queue.ReadAsync(stoppingToken);
                if (message.Message.IsNullOrEmpty) continue;
                try
                {
                    router.Route(message.Channel.ToString(), (byte[])message.Message!);
                }
                catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException or FormatException)
                {
                    logger.LogWarning("An event on {Topic} could not be read and was dropped: {Error}", message.Channel, e.Message);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (System.Threading.Channels.ChannelClosedException)
        {
            // The multiplexer was disposed: the node is stopping.
        }
        finally
        {
            redis.ConnectionFailed -= OnConnectionFailed;
            redis.ConnectionRestored -= OnConnectionRestored;
        }
    }

    /// <summary>Redis may be down when the node starts; once subscribed, the client library resubscribes by itself after a reconnect.</summary>
    private async Task<ChannelMessageQueue> SubscribeAsync(CancellationToken stoppingToken)
    {
        while (true)
        {
            try
            {
                return await redis.GetSubscriber().SubscribeAsync(RedisChannel.Pattern("*"));
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                logger.LogWarning("Cannot subscribe to Redis yet ({Error}); retrying", e.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
    }

    // Any lost connection to Redis (subscriptions may share the interactive one) means events may be missed.
    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e)
    {
        var connections = hub.Connections.ToList();
        logger.LogWarning("Redis connection ({Type}) lost ({Failure}): closing {Count} sockets so their clients reconnect", e.ConnectionType, e.FailureType, connections.Count);
        foreach (var connection in connections)
        {
            connection.Deliver(Protocol.ServerFrame.Error("InternalError", ("at", "events: the event stream was interrupted; reconnect")));
            connection.Close(System.Net.WebSockets.WebSocketCloseStatus.EndpointUnavailable, "event stream interrupted");
        }
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        logger.LogInformation("Redis connection ({Type}) restored", e.ConnectionType);
    }
}
