using Spokes.Api.Caching;
using Spokes.Api.Storage;
using Spokes.Contracts.Presence;
using Spokes.Permissions;
using StackExchange.Redis;

namespace Spokes.Api.Users;

/// <summary>
/// Stoat's rule for the <c>online</c> a viewer reads: the user has a live socket, has not chosen to look
/// Invisible, and the viewer may see it. Bots' presence is open to all.
/// </summary>
public static class PresenceVisibility
{
    public const string Invisible = "Invisible";

    /// <summary>Whose coming and going is announced at all.</summary>
    public static bool Announces(User user) => user.StatusPresence != Invisible;

    /// <summary>A user looking at themselves.</summary>
    public static bool ToSelf(User user, bool connected) => connected && Announces(user);

    /// <summary>
    /// A user among others the viewer shares something with (a server's members, a group, message authors, Ready):
    /// hidden only from those they block.
    /// </summary>
    public static bool ToAcquaintance(User user, RelationshipStatus viewerToUser, bool connected) =>
        (user.IsBot || viewerToUser != RelationshipStatus.BlockedOther) && ToSelf(user, connected);

    /// <summary>A user fetched on their own: shown to those who may view their profile.</summary>
    public static bool ToViewer(User user, UserPermission viewerTowardsUser, bool connected) =>
        (user.IsBot || viewerTowardsUser.HasFlag(UserPermission.ViewProfile)) && ToSelf(user, connected);
}

/// <summary>
/// Which users have a live socket, from the presence the Events service keeps in Redis. Each answer is held in the
/// replica's <see cref="RecordCache"/> (when the caches are on) and dropped when Events tells the user's presence
/// changed, which it does from the very script that changes it; so a held answer is served only while the cache is
/// sure it hears every change (its trust), and otherwise the answer is read again. Reads that do go to Redis take
/// one pipelined round trip for all the users not held. Presence is a courtesy: with Redis down or slow everyone
/// reads as offline and the request carries on, waiting at most <see cref="ReadLimit"/> for it rather than Redis's
/// command timeout.
/// </summary>
public sealed class PresenceReader(IConnectionMultiplexer redis, ILogger<PresenceReader> logger, RecordCache? cache = null)
{
    public static readonly TimeSpan ReadLimit = TimeSpan.FromMilliseconds(500);

    /// <summary>What the cache holds for a user: one instance per answer.</summary>
    private sealed record HeldPresence(bool Connected)
    {
        public static readonly HeldPresence Online = new(true);
        public static readonly HeldPresence Offline = new(false);
    }

    public Task<IReadOnlySet<string>> ConnectedAsync(IReadOnlyCollection<string> userIds)
    {
        var connected = new HashSet<string>();
        HashSet<string>? unknown = null;
        foreach (var id in userIds)
        {
            if (TryHeld(id, out var online))
            {
                if (online) connected.Add(id);
            }
            else (unknown ??= []).Add(id);
        }
        return unknown is null ? Task.FromResult<IReadOnlySet<string>>(connected) : ReadAsync(unknown, connected);
    }

    public Task<bool> IsConnectedAsync(string userId) =>
        TryHeld(userId, out var online) ? Task.FromResult(online) : ReadOneAsync(userId);

    private bool TryHeld(string userId, out bool connected)
    {
        connected = false;
        if (cache is null || !cache.TryGet<HeldPresence>(CacheKeys.Presence(userId), out var held)) return false;
        connected = held.Connected;
        return true;
    }

    private async Task<bool> ReadOneAsync(string userId) => (await ReadAsync([userId], [])).Count == 1;

    private async Task<IReadOnlySet<string>> ReadAsync(IReadOnlyCollection<string> userIds, HashSet<string> connected)
    {
        if (!redis.IsConnected) return connected;
        // Taken before the read: a change told while it is under way may not be in its answer, so the answer is not kept.
        var epoch = cache?.Epoch ?? 0;
        try
        {
            var batch = redis.GetDatabase().CreateBatch();
            var reads = userIds.Select(id => (Id: id, Exists: batch.KeyExistsAsync(PresenceKeys.User(id)))).ToList();
            batch.Execute();
            await Task.WhenAll(reads.Select(read => read.Exists)).WaitAsync(ReadLimit);
            foreach (var (id, exists) in reads)
            {
                var online = exists.Result;
                if (online) connected.Add(id);
                cache?.Add(CacheKeys.Presence(id), online ? HeldPresence.Online : HeldPresence.Offline, epoch);
            }
            return connected;
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            logger.LogWarning("Presence could not be read, so users read as offline: {Error}", e.Message);
            return connected;
        }
    }
}
