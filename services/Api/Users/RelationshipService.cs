using Microsoft.Extensions.Options;
using Spokes.Api.Community;
using Spokes.Api.Configuration;
using Spokes.Api.Errors;
using Spokes.Api.Events;
using Spokes.Api.Models;
using Spokes.Api.Storage;
using Spokes.Permissions;
using static Spokes.Permissions.RelationshipStatus;

namespace Spokes.Api.Users;

/// <summary>
/// Stoat's relationship rules: friend requests (by <c>username#discriminator</c>), accepting, removing,
/// blocking and unblocking. Both sides change together, and each side is told of its new standing on its
/// private topic.
/// </summary>
public sealed class RelationshipService(IUserStore users, CommunityAccess access, PresenceReader presence, EventPublisher events,
    IOptionsMonitor<ApiOptions> options, TimeProvider clock, Push.FriendRequestNotifier pushes)
{
    public async Task<UserResponse> FetchAsync(User actor, string targetId, CancellationToken cancellationToken)
    {
        if (targetId == actor.Id) return UserResponse.Self(actor, await presence.IsConnectedAsync(actor.Id));
        var target = await TargetAsync(targetId, cancellationToken);
        var towards = await access.TowardsAsync(actor, target.Id, cancellationToken);
        PermissionCalculator.Require(towards, UserPermission.Access);
        return UserResponse.Seen(target, await StatusAsync(actor.Id, target.Id, cancellationToken),
            PresenceVisibility.ToViewer(target, towards, await presence.IsConnectedAsync(target.Id)));
    }

    /// <summary>A profile is for those who may see it: the user, friends, and those sharing a server or group.</summary>
    public async Task<ProfileResponse> FetchProfileAsync(User actor, string targetId, CancellationToken cancellationToken)
    {
        if (targetId == actor.Id) return ProfileResponse.Of(actor);
        var target = await TargetAsync(targetId, cancellationToken);
        await RequireTowardsAsync(actor, target, UserPermission.ViewProfile, cancellationToken);
        return ProfileResponse.Of(target);
    }

    /// <summary>Friends, servers and groups both users have.</summary>
    public async Task<MutualResponse> FetchMutualAsync(User actor, string targetId, CancellationToken cancellationToken)
    {
        if (targetId == actor.Id) throw StoatException.InvalidOperation();
        var target = await TargetAsync(targetId, cancellationToken);
        await RequireTowardsAsync(actor, target, UserPermission.ViewProfile, cancellationToken);
        var mine = await users.GetRelationshipsAsync(actor.Id, cancellationToken);
        var theirs = await users.GetRelationshipsAsync(target.Id, cancellationToken);
        var friends = mine.Where(r => r.Value == Friend && theirs.GetValueOrDefault(r.Key, None) == Friend).Select(r => r.Key).Order(StringComparer.Ordinal).ToList();
        return new MutualResponse(friends, await access.MutualServersAsync(actor.Id, target.Id, cancellationToken),
            await access.MutualGroupsAsync(actor.Id, target.Id, cancellationToken));
    }

    /// <summary>Sends a request, or accepts the one the target already sent.</summary>
    public async Task<UserResponse> AddFriendAsync(User actor, string? usernameWithDiscriminator, CancellationToken cancellationToken)
    {
        var parts = usernameWithDiscriminator?.Split('#');
        if (parts is not [{ Length: > 0 } username, { Length: 4 } discriminator]) throw StoatException.InvalidProperty();
        var target = await users.FindByUsernameAsync(username, discriminator, cancellationToken) ?? throw StoatException.UnknownUser();
        return await BefriendAsync(actor, target, cancellationToken);
    }

    public async Task<UserResponse> AcceptFriendAsync(User actor, string targetId, CancellationToken cancellationToken) =>
        await BefriendAsync(actor, await TargetAsync(targetId, cancellationToken), cancellationToken);

    private async Task<UserResponse> BefriendAsync(User actor, User target, CancellationToken cancellationToken)
    {
        if (target.Id == actor.Id) throw StoatException.NoEffect();
        var relationships = await users.GetRelationshipsAsync(actor.Id, cancellationToken);
        switch (relationships.GetValueOrDefault(target.Id, None))
        {
            case Friend: throw StoatException.AlreadyFriends();
            case Outgoing: throw StoatException.AlreadySentRequest();
            case Blocked: throw StoatException.Blocked();
            case BlockedOther: throw StoatException.BlockedByOther();
            case Incoming:
                var befriended = await SetAsync(actor, target, Friend, Friend, cancellationToken);
                await pushes.RequestAcceptedAsync(actor, target);
                return befriended;
            default:
                var limits = options.CurrentValue.Limits.For(actor.CreatedAt, clock.GetUtcNow());
                if (relationships.Values.Count(s => s == Outgoing) >= limits.OutgoingFriendRequests)
                    throw StoatException.TooManyPendingFriendRequests(limits.OutgoingFriendRequests);
                var requested = await SetAsync(actor, target, Outgoing, Incoming, cancellationToken);
                await pushes.RequestSentAsync(actor, target);
                return requested;
        }
    }

    /// <summary>Ends a friendship, withdraws a request, or declines one.</summary>
    public async Task<UserResponse> RemoveFriendAsync(User actor, string targetId, CancellationToken cancellationToken)
    {
        var target = await TargetAsync(targetId, cancellationToken);
        return await StatusAsync(actor.Id, target.Id, cancellationToken) is Friend or Outgoing or Incoming
            ? await SetAsync(actor, target, None, None, cancellationToken)
            : throw StoatException.NoEffect();
    }

    public async Task<UserResponse> BlockAsync(User actor, string targetId, CancellationToken cancellationToken)
    {
        var target = await TargetAsync(targetId, cancellationToken);
        if (target.Id == actor.Id) throw StoatException.NoEffect();
        return await StatusAsync(actor.Id, target.Id, cancellationToken) switch
        {
            Blocked => await access.ViewedByAsync(actor, target, Blocked, await presence.IsConnectedAsync(target.Id), cancellationToken),
            // They blocked us first: both now block each other.
            BlockedOther => await SetAsync(actor, target, Blocked, Blocked, cancellationToken),
            _ => await SetAsync(actor, target, Blocked, BlockedOther, cancellationToken),
        };
    }

    public async Task<UserResponse> UnblockAsync(User actor, string targetId, CancellationToken cancellationToken)
    {
        var target = await TargetAsync(targetId, cancellationToken);
        if (await StatusAsync(actor.Id, target.Id, cancellationToken) != Blocked) throw StoatException.NoEffect();
        // If they block us too, that stands.
        return await StatusAsync(target.Id, actor.Id, cancellationToken) == Blocked
            ? await SetAsync(actor, target, BlockedOther, Blocked, cancellationToken)
            : await SetAsync(actor, target, None, None, cancellationToken);
    }

    private async Task<User> TargetAsync(string targetId, CancellationToken cancellationToken) =>
        await users.GetAsync(targetId, cancellationToken) ?? throw StoatException.UnknownUser();

    private async Task RequireTowardsAsync(User actor, User target, UserPermission permission, CancellationToken cancellationToken) =>
        PermissionCalculator.Require(await access.TowardsAsync(actor, target.Id, cancellationToken), permission);

    private async Task<RelationshipStatus> StatusAsync(string userId, string otherId, CancellationToken cancellationToken) =>
        (await users.GetRelationshipsAsync(userId, cancellationToken)).GetValueOrDefault(otherId, None);

    private async Task<UserResponse> SetAsync(User actor, User target, RelationshipStatus actorStatus, RelationshipStatus targetStatus,
        CancellationToken cancellationToken)
    {
        await users.SetRelationshipAsync(actor.Id, target.Id, actorStatus, targetStatus, cancellationToken);
        var connected = await presence.ConnectedAsync([actor.Id, target.Id]);
        var targetAsSeen = await access.ViewedByAsync(actor, target, actorStatus, connected.Contains(target.Id), cancellationToken);
        var actorAsSeen = await access.ViewedByAsync(target, actor, targetStatus, connected.Contains(actor.Id), cancellationToken);
        await events.PublishAsync(EventPublisher.PrivateTopic(actor.Id), new UserRelationshipEvent(actor.Id, targetAsSeen));
        await events.PublishAsync(EventPublisher.PrivateTopic(target.Id), new UserRelationshipEvent(target.Id, actorAsSeen));
        return targetAsSeen;
    }
}
