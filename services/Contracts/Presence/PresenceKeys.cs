namespace Spokes.Contracts.Presence;

/// <summary>
/// Where presence lives in Redis. The Events service writes it (a set of live sockets per user, and its nodes'
/// records of them); the Api reads it to answer <c>online</c>. A user is online while their set exists: Redis
/// deletes a set with its last member, so existence alone is the answer.
/// </summary>
public static class PresenceKeys
{
    private const string Prefix = "spokes:presence:";

    /// <summary>Every Events node that holds sockets.</summary>
    public const string Nodes = Prefix + "nodes";

    /// <summary>The user's live sockets, as <c>{node}/{socket}</c>.</summary>
    public static string User(string userId) => Prefix + "user:" + userId;

    /// <summary>The sockets one node holds, as <c>{user} {node}/{socket}</c>, for the others to clear if it dies.</summary>
    public static string Node(string nodeId) => Prefix + "node:" + nodeId;

    /// <summary>A node's heartbeat, which expires when the node stops beating.</summary>
    public static string Alive(string nodeId) => Prefix + "alive:" + nodeId;

    /// <summary>
    /// The sharded channel the Api replicas' caches hear their invalidations and heartbeats on. A replica that holds
    /// a user's presence drops it when <see cref="Changed"/> for that user comes: heard in order with its heartbeat, the
    /// change is covered by the same promise as every other invalidation (a replica that may have missed one does not
    /// serve what it holds).
    /// </summary>
    public const string ApiCacheChannel = "spokes:api:cache";

    /// <summary>Told on <see cref="ApiCacheChannel"/> when the user's first socket opened or last one closed.</summary>
    public static string Changed(string userId) => "p " + userId;
}
