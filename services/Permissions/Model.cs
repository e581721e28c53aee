namespace Spokes.Permissions;

/// <summary>Who is asking. Privileged users (instance administrators) may do everything.</summary>
public sealed record Actor(string UserId, bool Privileged = false, bool IsBot = false);

/// <summary>Stoat's relationship states, from the asking user's side.</summary>
public enum RelationshipStatus { None, User, Friend, Outgoing, Incoming, Blocked, BlockedOther }

/// <summary>A server role: its rank (0 is the top) and its allow/deny pair.</summary>
public sealed record Role(long Rank, PermissionOverride Permissions);

public sealed record ServerInfo(string OwnerId, ChannelPermission DefaultPermissions, IReadOnlyDictionary<string, Role> Roles);

/// <summary>
/// A server member: role ids (unknown ids are ignored, as Stoat does for deleted roles), timeout, and the
/// voice flags Stoat keeps per member.
/// </summary>
public sealed record MemberInfo(IReadOnlyCollection<string> Roles, DateTimeOffset? Timeout = null, bool CanPublish = true, bool CanReceive = true)
{
    public bool IsTimedOut(DateTimeOffset now) => Timeout is { } until && until > now;
}

public abstract record ChannelInfo;

public sealed record SavedMessagesChannel(string OwnerId) : ChannelInfo;

public sealed record DirectMessageChannel(IReadOnlyCollection<string> Recipients) : ChannelInfo;

/// <summary>A group DM; <paramref name="Permissions"/> is what the owner grants members beyond viewing.</summary>
public sealed record GroupChannel(string OwnerId, IReadOnlyCollection<string> Recipients, ChannelPermission? Permissions) : ChannelInfo;

/// <summary>A server's text or voice channel with its default and per-role overrides.</summary>
public sealed record ServerChannel(PermissionOverride? DefaultPermissions, IReadOnlyDictionary<string, PermissionOverride> RolePermissions) : ChannelInfo;
