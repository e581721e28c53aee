using System.Numerics;

namespace Spokes.Permissions;

/// <summary>
/// Stoat's permission rules (crates/core/permissions): what a user may do in a server, a channel, or to
/// another user, and who outranks whom. Pure functions over plain data: the Api and Events load what they
/// need and ask here, so both apply exactly the same rules.
/// </summary>
public static class PermissionCalculator
{
    /// <summary>Rank of a server's owner: above every role.</summary>
    public const long OwnerRank = long.MinValue;

    /// <summary>Rank of a member without roles: below every role.</summary>
    public const long NoRoleRank = long.MaxValue;

    /// <summary>
    /// Server permissions: owner (or privileged) all; non-member none; else the server default, then each
    /// of the member's roles from the lowest-ranked to the top (so rank 0 decides conflicts), then the voice
    /// flags and the timeout.
    /// </summary>
    public static ChannelPermission ForServer(Actor actor, ServerInfo server, MemberInfo? member, DateTimeOffset now)
    {
        if (actor.Privileged || actor.UserId == server.OwnerId) return ChannelPermission.GrantAllSafe;
        if (member is null) return ChannelPermission.None;

        var permissions = server.DefaultPermissions;
        foreach (var role in RolesByRank(server, member)) permissions = role.Role.Permissions.ApplyTo(permissions);
        return MemberRestrictions(permissions, member, now);
    }

    /// <summary>
    /// A server channel: the server permissions, then the channel's default override, then the channel's
    /// overrides for the member's roles in rank order, then the voice flags and timeout. Without
    /// ViewChannel the member can do nothing in the channel.
    /// </summary>
    public static ChannelPermission ForServerChannel(Actor actor, ServerChannel channel, ServerInfo server, MemberInfo? member, DateTimeOffset now)
    {
        if (actor.Privileged || actor.UserId == server.OwnerId) return ChannelPermission.GrantAllSafe;
        if (member is null) return ChannelPermission.None;

        var permissions = ForServer(actor, server, member, now);
        if (channel.DefaultPermissions is { } channelDefault) permissions = channelDefault.ApplyTo(permissions);
        foreach (var (id, _) in RolesByRank(server, member))
        {
            if (channel.RolePermissions.TryGetValue(id, out var roleOverride)) permissions = roleOverride.ApplyTo(permissions);
        }
        permissions = MemberRestrictions(permissions, member, now);
        return permissions.HasFlag(ChannelPermission.ViewChannel) ? permissions : ChannelPermission.None;
    }

    public static ChannelPermission ForSavedMessages(Actor actor, SavedMessagesChannel channel) =>
        actor.Privileged ? ChannelPermission.GrantAllSafe
        : actor.UserId == channel.OwnerId ? DefaultPermissions.SavedMessages
        : ChannelPermission.None;

    /// <summary>
    /// A DM: its two users may write to each other when <paramref name="towardsRecipient"/> (see
    /// <see cref="ForUser"/>) lets them; otherwise they may only read it.
    /// </summary>
    public static ChannelPermission ForDirectMessage(Actor actor, DirectMessageChannel channel, UserPermission towardsRecipient)
    {
        if (actor.Privileged) return ChannelPermission.GrantAllSafe;
        if (!channel.Recipients.Contains(actor.UserId)) return ChannelPermission.None;
        return towardsRecipient.HasFlag(UserPermission.SendMessage) ? DefaultPermissions.DirectMessage : DefaultPermissions.ViewOnly;
    }

    /// <summary>
    /// A group DM: the owner may do everything; members may view, plus what the owner granted, which until the
    /// owner sets it is what a DM allows (Stoat's <c>DEFAULT_PERMISSION_DIRECT_MESSAGE</c>).
    /// </summary>
    public static ChannelPermission ForGroup(Actor actor, GroupChannel channel)
    {
        if (actor.Privileged || actor.UserId == channel.OwnerId) return ChannelPermission.GrantAllSafe;
        if (!channel.Recipients.Contains(actor.UserId)) return ChannelPermission.None;
        return DefaultPermissions.ViewOnly | (channel.Permissions ?? DefaultPermissions.DirectMessage);
    }

    /// <summary>
    /// What <paramref name="actor"/> may do to another user: everything to themselves and friends; only see
    /// a user they blocked or who blocked them, or one with a pending friend request; see the profile of a
    /// user they share a server or group with, and write to them when either of the two is a bot.
    /// </summary>
    public static UserPermission ForUser(Actor actor, string targetUserId, RelationshipStatus relationship, bool mutualConnection, bool targetIsBot)
    {
        if (actor.Privileged || actor.UserId == targetUserId) return UserPermission.All;
        switch (relationship)
        {
            case RelationshipStatus.Friend:
                return UserPermission.All;
            case RelationshipStatus.Blocked or RelationshipStatus.BlockedOther:
                return UserPermission.Access;
        }

        var permissions = relationship is RelationshipStatus.Incoming or RelationshipStatus.Outgoing ? UserPermission.Access : UserPermission.None;
        if (mutualConnection)
        {
            permissions = UserPermission.Access | UserPermission.ViewProfile;
            if (targetIsBot || actor.IsBot) permissions |= UserPermission.SendMessage;
        }
        return permissions;
    }

    /// <summary>A member's rank: the owner's is <see cref="OwnerRank"/>, else the best (lowest) of their roles.</summary>
    public static long Rank(ServerInfo server, string userId, MemberInfo? member)
    {
        if (userId == server.OwnerId) return OwnerRank;
        var ranks = member?.Roles.Where(server.Roles.ContainsKey).Select(id => server.Roles[id].Rank).ToList();
        return ranks is { Count: > 0 } ? ranks.Min() : NoRoleRank;
    }

    /// <summary>Throws <c>MissingPermission</c> naming the first permission of <paramref name="required"/> that is missing.</summary>
    public static void Require(ChannelPermission held, ChannelPermission required)
    {
        var missing = required & ~held;
        if (missing != ChannelPermission.None)
        {
            var first = (ChannelPermission)(1UL << BitOperations.TrailingZeroCount((ulong)missing));
            throw new PermissionDeniedException("MissingPermission", first.ToString());
        }
    }

    public static void Require(UserPermission held, UserPermission required)
    {
        var missing = required & ~held;
        if (missing != UserPermission.None)
        {
            var first = (UserPermission)(1UL << BitOperations.TrailingZeroCount((ulong)missing));
            throw new PermissionDeniedException("MissingUserPermission", first.ToString());
        }
    }

    /// <summary>
    /// Kick, ban, timeout or edit another member: the actor must rank strictly above the target, and no
    /// one acts on the owner. Throws <c>NotElevated</c> or <c>InvalidOperation</c>.
    /// </summary>
    public static void RequireAbove(ServerInfo server, Actor actor, MemberInfo? actorMember, string targetUserId, MemberInfo? targetMember)
    {
        if (targetUserId == server.OwnerId) throw new PermissionDeniedException("InvalidOperation");
        if (actor.Privileged) return;
        if (Rank(server, targetUserId, targetMember) <= Rank(server, actor.UserId, actorMember))
            throw new PermissionDeniedException("NotElevated");
    }

    /// <summary>
    /// Edit, assign or remove a role: only roles ranked strictly below the actor. Throws <c>NotElevated</c>.
    /// </summary>
    public static void RequireAboveRole(ServerInfo server, Actor actor, MemberInfo? actorMember, Role role)
    {
        if (actor.Privileged) return;
        if (role.Rank <= Rank(server, actor.UserId, actorMember)) throw new PermissionDeniedException("NotElevated");
    }

    /// <summary>
    /// Changing an override from <paramref name="current"/> to <paramref name="next"/>: every bit it newly
    /// allows, and every bit it stops denying, must be one the actor holds. Throws
    /// <c>CannotGiveMissingPermissions</c>.
    /// </summary>
    public static void RequireCanGive(ChannelPermission held, PermissionOverride? current, PermissionOverride next)
    {
        var changed = current is { } before
            ? (~before.Allow & next.Allow) | (before.Deny & ~next.Deny)
            : next.Allow;
        if ((changed & ~held) != ChannelPermission.None) throw new PermissionDeniedException("CannotGiveMissingPermissions");
    }

    /// <summary>Changing a plain permission value (a server's default, a group's grant): as an allow-only override.</summary>
    public static void RequireCanGive(ChannelPermission held, ChannelPermission current, ChannelPermission next) =>
        RequireCanGive(held, new PermissionOverride(current, ChannelPermission.None), new PermissionOverride(next, ChannelPermission.None));

    /// <summary>The member's known roles from the lowest-ranked (applied first) to the top (applied last).</summary>
    private static IEnumerable<(string Id, Role Role)> RolesByRank(ServerInfo server, MemberInfo member) =>
        member.Roles
            .Where(server.Roles.ContainsKey)
            .Distinct()
            .Select(id => (Id: id, Role: server.Roles[id]))
            .OrderByDescending(r => r.Role.Rank)
            .ThenBy(r => r.Id, StringComparer.Ordinal);

    private static ChannelPermission MemberRestrictions(ChannelPermission permissions, MemberInfo member, DateTimeOffset now)
    {
        if (!member.CanPublish) permissions &= ~(ChannelPermission.Speak | ChannelPermission.Video);
        if (!member.CanReceive) permissions &= ~ChannelPermission.Listen;
        if (member.IsTimedOut(now)) permissions &= DefaultPermissions.AllowInTimeout;
        return permissions;
    }
}
