namespace Spokes.Api.Caching;

/// <summary>
/// The names records are held and invalidated by. A group key names every record of a group at once (a user's
/// sessions, a server's members and channels); session tokens themselves never leave the replica.
/// </summary>
public static class CacheKeys
{
    private const string GroupPrefix = "*";

    public static string Session(string token) => "session:" + token;

    public static string User(string id) => "user:" + id;

    public static string Server(string id) => "server:" + id;

    public static string Channel(string id) => "channel:" + id;

    public static string Member(string serverId, string userId) => $"member:{serverId}:{userId}";

    /// <summary>Whether the user has a live socket: dropped when the Events service tells the user's presence changed.</summary>
    public static string Presence(string userId) => "presence:" + userId;

    public static string SessionsOf(string userId) => GroupPrefix + "sessions:" + userId;

    public static string MembersOf(string serverId) => GroupPrefix + "members:" + serverId;

    public static string ChannelsOf(string serverId) => GroupPrefix + "channels:" + serverId;

    public static bool IsGroup(string key) => key.StartsWith(GroupPrefix, StringComparison.Ordinal);
}
