using Spokes.Contracts.Presence;
using StackExchange.Redis;

namespace Spokes.Events.Presence;

/// <summary>
/// Who is online, across every socket on every node, in Redis: a set of live sockets per user. The first
/// socket of a user makes them online and the last one gone offline, each decided atomically by a script so
/// two nodes never both announce. Every node keeps a heartbeat key; a node that stops beating (crashed) has its
/// sockets removed by the others, so nobody stays online forever. The scripts (<see cref="PresenceSockets"/>) also
/// tell the Api replicas' caches of every user who came online or went offline.
/// </summary>
public sealed class PresenceTracker(IConnectionMultiplexer redis, EventsOptions options)
{
    private const string NodesKey = PresenceKeys.Nodes;

    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan HeartbeatLifetime = TimeSpan.FromSeconds(30);

    private string NodeId => options.NodeId;

    /// <summary>Records a socket; true when it is the user's first (they came online).</summary>
    public async Task<bool> AddAsync(string userId, string socketId) =>
        await PresenceSockets.AddAsync(redis.GetDatabase(), userId, NodeId, Socket(socketId)) == 1;

    /// <summary>Forgets a socket; true when it was the user's last (they went offline).</summary>
    public async Task<bool> RemoveAsync(string userId, string socketId) => await RemoveAsync(userId, Socket(socketId), NodeId);

    /// <summary>Marks this node alive for <see cref="HeartbeatLifetime"/>.</summary>
    public async Task BeatAsync()
    {
        var database = redis.GetDatabase();
        await database.SetAddAsync(NodesKey, NodeId);
        await database.StringSetAsync(AliveKey(NodeId), "1", HeartbeatLifetime);
    }

    /// <summary>Removes the sockets of nodes whose heartbeat expired; returns the users that thereby went offline.</summary>
    public async Task<IReadOnlyList<string>> SweepDeadNodesAsync()
    {
        var database = redis.GetDatabase();
        var offline = new List<string>();
        foreach (var node in (await database.SetMembersAsync(NodesKey)).Select(n => n.ToString()))
        {
            if (node == NodeId || await database.KeyExistsAsync(AliveKey(node))) continue;
            foreach (var entry in (await database.SetMembersAsync(NodeKey(node))).Select(e => e.ToString()))
            {
                var separator = entry.IndexOf(' ');
                if (separator <= 0) continue;
                var userId = entry[..separator];
                if (await RemoveAsync(userId, entry[(separator + 1)..], node)) offline.Add(userId);
            }
            await database.KeyDeleteAsync(NodeKey(node));
            await database.SetRemoveAsync(NodesKey, node);
        }
        return offline;
    }

    /// <summary>Takes this node out of presence as it stops (its sockets are already gone).</summary>
    public async Task LeaveAsync()
    {
        var database = redis.GetDatabase();
        await database.KeyDeleteAsync([NodeKey(NodeId), AliveKey(NodeId)]);
        await database.SetRemoveAsync(NodesKey, NodeId);
    }

    private async Task<bool> RemoveAsync(string userId, string socket, string node) =>
        await PresenceSockets.RemoveAsync(redis.GetDatabase(), userId, node, socket) == 0;

    private string Socket(string socketId) => NodeId + "/" + socketId;

    private static RedisKey NodeKey(string nodeId) => PresenceKeys.Node(nodeId);

    private static RedisKey AliveKey(string nodeId) => PresenceKeys.Alive(nodeId);
}
