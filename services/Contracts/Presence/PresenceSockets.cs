using StackExchange.Redis;

namespace Spokes.Contracts.Presence;

/// <summary>
/// The two changes made to presence as sockets open and close (the Events service's, and its sweep of dead nodes),
/// each one script: the user's set of sockets and the node's record of them change together, and when a user's
/// first socket opens or last one closes the same script tells the Api replicas' caches (<see cref="PresenceKeys.ApiCacheChannel"/>),
/// so that a replica holding the user's presence drops it in the same order as every other change it hears.
/// </summary>
public static class PresenceSockets
{
    // KEYS: user set, node set. ARGV: socket, node entry, channel, change. Returns the user's live sockets after the change.
    private static readonly LuaScript AddScript = LuaScript.Prepare(
        "local added = redis.call('SADD', KEYS[1], ARGV[1]) redis.call('SADD', KEYS[2], ARGV[2]) " +
        "local count = redis.call('SCARD', KEYS[1]) " +
        "if added == 1 and count == 1 then redis.call('SPUBLISH', ARGV[3], ARGV[4]) end return count");

    private static readonly LuaScript RemoveScript = LuaScript.Prepare(
        "local removed = redis.call('SREM', KEYS[1], ARGV[1]) redis.call('SREM', KEYS[2], ARGV[2]) " +
        "local count = redis.call('SCARD', KEYS[1]) " +
        "if removed == 1 and count == 0 then redis.call('SPUBLISH', ARGV[3], ARGV[4]) end return count");

    /// <summary>Records <paramref name="socket"/> (<c>{node}/{socket}</c>) of the user on <paramref name="nodeId"/>; returns the user's live sockets after.</summary>
    public static Task<long> AddAsync(IDatabaseAsync database, string userId, string nodeId, string socket) =>
        RunAsync(database, AddScript, userId, nodeId, socket);

    /// <summary>Forgets <paramref name="socket"/> of the user on <paramref name="nodeId"/>; returns the user's live sockets after (0: they went offline).</summary>
    public static Task<long> RemoveAsync(IDatabaseAsync database, string userId, string nodeId, string socket) =>
        RunAsync(database, RemoveScript, userId, nodeId, socket);

    /// <summary>The node's record of a socket, from which a sweep finds its user: <c>{user} {node}/{socket}</c>.</summary>
    public static string Entry(string userId, string socket) => userId + " " + socket;

    private static async Task<long> RunAsync(IDatabaseAsync database, LuaScript script, string userId, string nodeId, string socket) =>
        (long)await database.ScriptEvaluateAsync(script.ExecutableScript,
            [PresenceKeys.User(userId), PresenceKeys.Node(nodeId)],
            [socket, Entry(userId, socket), PresenceKeys.ApiCacheChannel, PresenceKeys.Changed(userId)]);
}
