using System.Text.Json.Nodes;
using Spokes.Events.Connections;
using Spokes.Events.Fanout;

namespace Spokes.Events.Presence;

/// <summary>
/// Tells others a user came online or went offline, as Stoat's <c>broadcast_presence_change</c> does: a
/// <c>UserUpdate</c> of <c>online</c> to the user's topic (friends, DM and group partners) and to the topic of
/// each of their servers, which every member's socket has, <c>Subscribe</c> or not.
/// </summary>
public sealed class PresenceAnnouncer(RedisEvents redis)
{
    public async Task AnnounceAsync(string userId, bool online, IEnumerable<string> serverIds)
    {
        var @event = new JsonObject
        {
            ["type"] = "UserUpdate",
            ["id"] = userId,
            ["data"] = new JsonObject { ["online"] = online },
            ["clear"] = new JsonArray(),
            // The same id on every topic: a socket that gets it twice shows it once.
            ["event_id"] = Guid.NewGuid().ToString("N"),
        };
        await redis.PublishAsync(userId, @event);
        foreach (var server in serverIds) await redis.PublishAsync(server, @event);
    }
}

/// <summary>Every few seconds: keeps this node's presence alive, clears crashed nodes' sockets, closes idle sockets.</summary>
public sealed class NodeHousekeeping(
    PresenceTracker presence,
    PresenceAnnouncer announcer,
    TopicHub hub,
    EventsOptions options,
    ILogger<NodeHousekeeping> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(PresenceTracker.HeartbeatInterval / 2);
        var sinceBeat = PresenceTracker.HeartbeatInterval;
        try
        {
            do
            {
                foreach (var connection in hub.Connections)
                {
                    if (connection.SinceLastReceived > options.IdleTimeout)
                        connection.Close(System.Net.WebSockets.WebSocketCloseStatus.PolicyViolation, "idle: nothing received");
                    else connection.ExpireMemberSubscriptions();
                }
                sinceBeat += PresenceTracker.HeartbeatInterval / 2;
                if (sinceBeat < PresenceTracker.HeartbeatInterval) continue;
                sinceBeat = TimeSpan.Zero;
                try
                {
                    await presence.BeatAsync();
                    foreach (var user in await presence.SweepDeadNodesAsync())
                    {
                        logger.LogInformation("{User} went offline with a node that stopped answering", user);
                        await announcer.AnnounceAsync(user, online: false, []);
                    }
                }
                catch (Exception e) when (e is StackExchange.Redis.RedisException or TimeoutException)
                {
                    logger.LogWarning("Presence heartbeat failed: {Error}", e.Message);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            await presence.LeaveAsync();
        }
        catch (Exception e) when (e is StackExchange.Redis.RedisException or TimeoutException)
        {
            logger.LogWarning("Could not take this node out of presence: {Error}", e.Message);
        }
    }
}
