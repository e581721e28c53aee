using Spokes.Api.Errors;
using Spokes.Api.Models;
using Spokes.Api.Storage;
using Spokes.Api.Users;
using Spokes.Permissions;

namespace Spokes.Api.Community;

/// <summary>What a user may do where they ask: a server, one of its channels, a DM or group.</summary>
public sealed record ServerAccess(User Actor, Server Server, Member? Member, ChannelPermission Permissions)
{
    public Actor AsActor => CommunityAccess.ActorOf(Actor);

    public ServerAccess Require(ChannelPermission permission)
    {
        PermissionCalculator.Require(Permissions, permission);
        return this;
    }

    /// <summary>Acting on another member needs a rank above theirs; no one acts on the owner.</summary>
    public void RequireAbove(string targetUserId, Member? target) =>
        PermissionCalculator.RequireAbove(Server.ToPermissions(), AsActor, Member?.ToPermissions(), targetUserId, target?.ToPermissions());

    /// <summary>Changing, assigning or removing a role needs a rank above it.</summary>
    public void RequireAboveRole(ServerRole role) =>
        PermissionCalculator.RequireAboveRole(Server.ToPermissions(), AsActor, Member?.ToPermissions(), role.ToPermissions());
}

public sealed record ChannelAccess(User Actor, Channel Channel, Server? Server, Member? Member, ChannelPermission Permissions)
{
    public ChannelAccess Require(ChannelPermission permission)
    {
        PermissionCalculator.Require(Permissions, permission);
        return this;
    }
}

/// <summary>
/// Loads what a permission question needs and asks <see cref="PermissionCalculator"/>, so every route applies
/// Stoat's rules the same way.
/// </summary>
public sealed class CommunityAccess(IServerStore servers, IMemberStore members, IChannelStore channels, IUserStore users, PresenceReader presence,
    TimeProvider clock)
{
    public static Actor ActorOf(User user) => new(user.Id, user.Privileged);

    public DateTimeOffset Now => clock.GetUtcNow();

    /// <summary>An unknown id is <c>NotFound</c>, as Stoat's lookups answer it.</summary>
    public async Task<Server> ServerAsync(string id, CancellationToken cancellationToken) =>
        await servers.GetAsync(id, cancellationToken) ?? throw StoatException.NotFound();

    /// <summary>An unknown id is <c>NotFound</c>, as Stoat's lookups answer it.</summary>
    public async Task<Channel> ChannelAsync(string id, CancellationToken cancellationToken) =>
        await channels.GetAsync(id, cancellationToken) ?? throw StoatException.NotFound();

    public async Task<ServerAccess> InServerAsync(User actor, string serverId, CancellationToken cancellationToken) =>
        At(actor, await ServerAsync(serverId, cancellationToken), await members.GetAsync(serverId, actor.Id, cancellationToken));

    /// <summary>Access as it stands after a change to the server or the member, without reloading.</summary>
    public ServerAccess At(User actor, Server server, Member? member) =>
        new(actor, server, member, PermissionCalculator.ForServer(ActorOf(actor), server.ToPermissions(), member?.ToPermissions(), Now));

    /// <summary>What the actor may do in one of the server's channels, from the server and membership already loaded.</summary>
    public ChannelPermission InChannel(ServerAccess at, TextChannel channel) =>
        PermissionCalculator.ForServerChannel(at.AsActor, channel.ToPermissions(), at.Server.ToPermissions(), at.Member?.ToPermissions(), Now);

    public async Task<ChannelAccess> InChannelAsync(User actor, string channelId, CancellationToken cancellationToken) =>
        await InChannelAsync(actor, await ChannelAsync(channelId, cancellationToken), cancellationToken);

    public async Task<ChannelAccess> InChannelAsync(User actor, Channel channel, CancellationToken cancellationToken)
    {
        var who = ActorOf(actor);
        switch (channel)
        {
            case TextChannel text:
                var at = await InServerAsync(actor, text.Server, cancellationToken);
                return new ChannelAccess(actor, channel, at.Server, at.Member, InChannel(at, text));
            case SavedMessages saved:
                return new ChannelAccess(actor, channel, null, null, PermissionCalculator.ForSavedMessages(who, new SavedMessagesChannel(saved.User)));
            case DirectMessage direct:
                var other = direct.Recipients.FirstOrDefault(r => r != actor.Id) ?? actor.Id;
                var towards = await TowardsAsync(actor, other, cancellationToken);
                return new ChannelAccess(actor, channel, null, null,
                    PermissionCalculator.ForDirectMessage(who, new DirectMessageChannel(direct.Recipients), towards));
            case Group group:
                var granted = group.Permissions is { } value ? (ChannelPermission)unchecked((ulong)value) : (ChannelPermission?)null;
                return new ChannelAccess(actor, channel, null, null,
                    PermissionCalculator.ForGroup(who, new GroupChannel(group.Owner, group.Recipients, granted)));
            default:
                throw StoatException.UnknownChannel();
        }
    }

    /// <summary>What <paramref name="actor"/> may do to another user, given their relationship and what they share.</summary>
    public async Task<UserPermission> TowardsAsync(User actor, string targetId, CancellationToken cancellationToken)
    {
        if (targetId == actor.Id) return UserPermission.All;
        var status = (await users.GetRelationshipsAsync(actor.Id, cancellationToken)).GetValueOrDefault(targetId, RelationshipStatus.None);
        var mutual = await HaveMutualConnectionAsync(actor.Id, targetId, cancellationToken);
        return PermissionCalculator.ForUser(ActorOf(actor), targetId, status, mutual, targetIsBot: false);
    }

    /// <summary>Two users are connected when they share a server or a group.</summary>
    public async Task<bool> HaveMutualConnectionAsync(string userId, string otherId, CancellationToken cancellationToken) =>
        (await MutualServersAsync(userId, otherId, cancellationToken)).Count > 0
        || (await MutualGroupsAsync(userId, otherId, cancellationToken)).Count > 0;

    public async Task<IReadOnlyList<string>> MutualServersAsync(string userId, string otherId, CancellationToken cancellationToken) =>
        (await members.ServersOfAsync(userId, cancellationToken)).Intersect(await members.ServersOfAsync(otherId, cancellationToken)).ToList();

    public async Task<IReadOnlyList<string>> MutualGroupsAsync(string userId, string otherId, CancellationToken cancellationToken) =>
        (await channels.ListPrivateAsync(userId, cancellationToken)).OfType<Group>().Where(g => g.Recipients.Contains(otherId)).Select(g => g.Id).ToList();

    /// <summary>
    /// Users as <paramref name="viewer"/> sees them among others (Stoat's "mutuals": members, group recipients,
    /// message authors), in the order asked for; unknown ids are left out. <paramref name="viewerConnected"/> is
    /// true when the viewer is known to be connected (their own socket asks for its Ready).
    /// </summary>
    public async Task<IReadOnlyList<UserResponse>> SeenByAsync(User viewer, IReadOnlyCollection<string> userIds, CancellationToken cancellationToken,
        bool viewerConnected = false)
    {
        var found = (await users.GetManyAsync(userIds, cancellationToken)).ToDictionary(u => u.Id);
        var relationships = await users.GetRelationshipsAsync(viewer.Id, cancellationToken);
        var connected = await presence.ConnectedAsync(found.Keys);
        return userIds.Distinct().Where(found.ContainsKey).Select(id =>
        {
            var user = found[id];
            if (id == viewer.Id) return UserResponse.Self(user, viewerConnected || connected.Contains(id));
            var relationship = relationships.GetValueOrDefault(id, RelationshipStatus.None);
            return UserResponse.Seen(user, relationship, PresenceVisibility.ToAcquaintance(user, relationship, connected.Contains(id)));
        }).ToList();
    }

    /// <summary>
    /// One user as <paramref name="viewer"/>, who stands with them as <paramref name="relationship"/>, sees them
    /// fetched on their own (Stoat's <c>User::into</c>): presence only for those who may view the profile.
    /// </summary>
    public async Task<UserResponse> ViewedByAsync(User viewer, User target, RelationshipStatus relationship, bool connected, CancellationToken cancellationToken)
    {
        if (target.Id == viewer.Id) return UserResponse.Self(target, connected);
        // Only a live, visible user needs the permission, and only some relationships need the mutual-connection reads.
        if (!PresenceVisibility.ToSelf(target, connected)) return UserResponse.Seen(target, relationship, online: false);
        var mutual = relationship is not (RelationshipStatus.Friend or RelationshipStatus.Blocked or RelationshipStatus.BlockedOther)
                     && await HaveMutualConnectionAsync(viewer.Id, target.Id, cancellationToken);
        var towards = PermissionCalculator.ForUser(ActorOf(viewer), target.Id, relationship, mutual, target.IsBot);
        return UserResponse.Seen(target, relationship, PresenceVisibility.ToViewer(target, towards, connected));
    }
}
