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
/// Reads which users have a live socket from the presence the Events service keeps in Redis: one pipelined
/// round trip per answer. Presence is a courtesy: with Redis down or slow everyone reads as offline and the
/// request carries on, waiting at most <see cref="ReadLimit"/> for it rather than Redis's command timeout.
/// </summary>
public sealed class PresenceReader(IConnectionMultiplexer redis, ILogger<PresenceReader> logger)
{
    public static readonly TimeSpan ReadLimit = TimeSpan.FromMilliseconds(500);

    public async Task<IReadOnlySet<string>> ConnectedAsync(IReadOnlyCollection<string> userIds)
    {
        var ids = userIds.Distinct().ToList();
        if (ids.Count == 0 || !redis.IsConnected) return new HashSet<string>();
        try
        {
            var batch = redis.GetDatabase().CreateBatch();
            var exists = ids.Select(id => batch.KeyExistsAsync(PresenceKeys.User(id))).ToList();
            batch.Execute();
            var answers = await Task.WhenAll(exists).WaitAsync(ReadLimit);
            return ids.Where((_, i) => answers[i]).ToHashSet();
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            logger.LogWarning("Presence could not be read, so users read as offline: {Error}", e.Message);
            return new HashSet<string>();
        }
    }

    public async Task<bool> IsConnectedAsync(string userId) => (await ConnectedAsync([userId])).Count == 1;
}
