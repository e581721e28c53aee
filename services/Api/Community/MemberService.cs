using System.Text.Json;
using Microsoft.Extensions.Options;
using Spokes.Api.Configuration;
using Spokes.Api.Errors;
using Spokes.Api.Events;
using Spokes.Api.Files;
using Spokes.Api.Models;
using Spokes.Api.Storage;
using Spokes.Contracts.Files.V1;
using Spokes.Permissions;

namespace Spokes.Api.Community;

/// <summary>Stoat's member routes: joining, listing, editing, kicking, banning, and leaving.</summary>
public sealed class MemberService(
    CommunityAccess access,
    IMemberStore members,
    IBanStore bans,
    IChannelStore channels,
    IUserStore users,
    EventPublisher events,
    Messaging.MessagePoster poster,
    IFileClaims files,
    IOptionsMonitor<ApiOptions> options,
    Contracts.Voice.VoiceStates voice)
{
    private static readonly string[] RemovableFields = ["Nickname", "Avatar", "Roles", "Timeout", "CanReceive", "CanPublish"];

    public async Task RequireRoomForAnotherServerAsync(User user, CancellationToken cancellationToken)
    {
        var max = options.CurrentValue.Limits.For(user.CreatedAt, access.Now).Servers;
        if ((await members.ServersOfAsync(user.Id, cancellationToken)).Count >= max) throw StoatException.TooManyServers(max);
    }

    /// <summary>
    /// Makes <paramref name="user"/> a member: the server learns of the member, the user of the server. One who
    /// left while timed out is still timed out, as in Stoat.
    /// </summary>
    public async Task<IReadOnlyList<Channel>> JoinAsync(User user, Server server, CancellationToken cancellationToken)
    {
        Member member;
        try
        {
            member = await members.CreateAsync(new Member(new MemberKey(server.Id, user.Id), access.Now, null, null, null, null, null), cancellationToken);
        }
        catch (DuplicateKeyException)
        {
            throw StoatException.AlreadyInServer();
        }
        var serverChannels = await channels.ListByServerAsync(server.Id, cancellationToken);
        await events.PublishAsync(server.Id, new ServerMemberJoinEvent(server.Id, user.Id, member));
        await events.PublishAsync(EventPublisher.PrivateTopic(user.Id), new ServerCreateEvent(server.Id, server, serverChannels)
        {
            VoiceStates = await voice.InChannelsAsync(serverChannels.Select(c => c.Id)),
        });
        // The channels are loaded already: the announcement needs no second read.
        if (serverChannels.FirstOrDefault(c => c.Id == server.SystemMessages?.UserJoined) is { } announcements)
            await poster.PostSystemAsync(announcements, new UserJoined(user.Id), cancellationToken);
        return serverChannels;
    }

    /// <summary>
    /// Removes a member; <paramref name="reason"/> is <c>Leave</c>, <c>Kick</c> or <c>Ban</c>, announced in the server's
    /// chosen channel unless <paramref name="silently"/>. False when they were not one.
    /// </summary>
    public async Task<bool> RemoveAsync(Server server, string userId, string reason, CancellationToken cancellationToken, bool silently = false)
    {
        if (!await members.RemoveAsync(server.Id, userId, access.Now, cancellationToken)) return false;
        await events.PublishAsync(server.Id, new ServerMemberLeaveEvent(server.Id, userId, reason));
        if (silently) return true;
        var (channel, system) = reason switch
        {
            "Kick" => (server.SystemMessages?.UserKicked, (SystemMessage)new UserKicked(userId)),
            "Ban" => (server.SystemMessages?.UserBanned, new UserBanned(userId)),
            _ => (server.SystemMessages?.UserLeft, new UserLeft(userId)),
        };
        await poster.PostSystemAsync(channel, system, cancellationToken);
        return true;
    }

    public async Task<AllMembersResponse> ListAsync(User actor, string serverId, CancellationToken cancellationToken)
    {
        var at = (await access.InServerAsync(actor, serverId, cancellationToken)).Require(ChannelPermission.ViewChannel);
        var all = await members.ListAsync(at.Server.Id, cancellationToken);
        return new AllMembersResponse(all, await access.SeenByAsync(actor, all.Select(m => m.Id.User).ToList(), cancellationToken));
    }

    /// <summary>
    /// Members whose username, display name or nickname contains <paramref name="query"/>, case-insensitively:
    /// the member search behind a client's mention autocomplete. At most <see cref="MaxQueryResults"/>.
    /// </summary>
    public async Task<AllMembersResponse> QueryAsync(User actor, string serverId, string? query, CancellationToken cancellationToken)
    {
        var text = Validation.Required(query, "query", 1, 64);
        var at = (await access.InServerAsync(actor, serverId, cancellationToken)).Require(ChannelPermission.ViewChannel);
        var all = await members.ListAsync(at.Server.Id, cancellationToken);
        var users = await access.SeenByAsync(actor, all.Select(m => m.Id.User).ToList(), cancellationToken);
        var matches = (string? value) => value?.Contains(text, StringComparison.OrdinalIgnoreCase) == true;
        var found = all.Join(users, m => m.Id.User, u => u.Id, (member, user) => (Member: member, User: user))
            .Where(pair => matches(pair.User.Username) || matches(pair.User.DisplayName) || matches(pair.Member.Nickname))
            .OrderBy(pair => pair.User.Username, StringComparer.OrdinalIgnoreCase)
            .Take(MaxQueryResults)
            .ToList();
        return new AllMembersResponse(found.Select(p => p.Member).ToList(), found.Select(p => p.User).ToList());
    }

    public const int MaxQueryResults = 100;

    public async Task<object> FetchAsync(User actor, string serverId, string userId, bool withRoles, CancellationToken cancellationToken)
    {
        var at = (await access.InServerAsync(actor, serverId, cancellationToken)).Require(ChannelPermission.ViewChannel);
        var member = await MemberAsync(at.Server.Id, userId, cancellationToken);
        if (!withRoles) return member;
        var roles = (member.Roles ?? []).Where(at.Server.Roles.ContainsKey).ToDictionary(id => id, id => at.Server.Roles[id]);
        return new MemberWithRoles(member, roles);
    }

    /// <summary>
    /// Edits a member; only the fields given are written. Whether the actor may act on the member, and which roles
    /// they hand out or take away, is decided from the member's roles as read, so the write expects those unchanged.
    /// A new avatar is claimed once, after every check of the first attempt, and released if the edit is refused.
    /// </summary>
    public async Task<Member> EditAsync(User actor, string serverId, string userId, EditMemberRequest request, CancellationToken cancellationToken)
    {
        AutumnFile? avatar = null;
        var written = false;
        try
        {
            return await OptimisticWrite.RetryAsync(async () =>
            {
                var at = await access.InServerAsync(actor, serverId, cancellationToken);
                if (at.Member is null && !actor.Privileged) throw StoatException.NotFound();
                var target = await MemberAsync(at.Server.Id, userId == "@me" ? actor.Id : userId, cancellationToken);
                var self = target.Id.User == actor.Id;
                var remove = Validation.Removals(request.Remove, RemovableFields);

                // Acting on someone else needs a higher rank than theirs, as in Stoat.
                if (!self) at.RequireAbove(target.Id.User, target);
                if (request.Nickname is not null || remove.Contains("Nickname"))
                    at.Require(self ? ChannelPermission.ChangeNickname : ChannelPermission.ManageNicknames);
                // Only members change their own avatar.
                if (request.Avatar is not null)
            {
                if (!self) throw StoatException.InvalidOperation();
                at.Require(ChannelPermission.ChangeAvatar);
            }
                if (remove.Contains("Avatar")) at.Require(self ? ChannelPermission.ChangeAvatar : ChannelPermission.RemoveAvatars);
                if (request.Roles is not null || remove.Contains("Roles")) RequireCanAssign(at, target, request.Roles ?? []);
                if (request.Timeout is not null || remove.Contains("Timeout"))
                {
                    if (self && request.Timeout is not null) throw StoatException.CannotTimeoutYourself();
                    at.Require(ChannelPermission.TimeoutMembers);
                }
                if (request.CanPublish is not null || remove.Contains("CanPublish")) at.Require(ChannelPermission.MuteMembers);
                if (request.CanReceive is not null || remove.Contains("CanReceive")) at.Require(ChannelPermission.DeafenMembers);
                // Moving between voice channels applies to members in a call; Spokes has no voice sessions yet.
                if (request.VoiceChannel is not null) throw new StoatException("NotConnected", System.Net.HttpStatusCode.BadRequest);
                Validation.Length(request.Nickname, "nickname", 1, 32);

                var update = new FieldUpdate();
                if (!self || request.Roles is not null || remove.Contains("Roles")) update.Expect("roles", target.Roles);
                foreach (var field in remove) update.Unset(JsonNamingPolicy.SnakeCaseLower.ConvertName(field));
                var updated = target with
                {
                    Nickname = remove.Contains("Nickname") ? null : target.Nickname,
                    Roles = remove.Contains("Roles") ? null : target.Roles,
                    Timeout = remove.Contains("Timeout") ? null : target.Timeout,
                    CanPublish = remove.Contains("CanPublish") ? null : target.CanPublish,
                    CanReceive = remove.Contains("CanReceive") ? null : target.CanReceive,
                    Avatar = remove.Contains("Avatar") ? null : target.Avatar,
                };
                var data = new Dictionary<string, object?>();
                if (request.Nickname is { } nickname)
                {
                    data["nickname"] = nickname;
                    update.Set("nickname", (updated = updated with { Nickname = nickname }).Nickname);
                }
                if (request.Roles is { } roles)
                {
                    var distinct = roles.Distinct().ToList();
                    data["roles"] = distinct;
                    updated = updated with { Roles = distinct.Count == 0 ? null : distinct };
                    update.Set("roles", updated.Roles);
                }
                if (request.Timeout is { } timeout)
                {
                    data["timeout"] = timeout;
                    update.Set("timeout", (updated = updated with { Timeout = timeout }).Timeout);
                }
                // The voice flags are stored only when false: true is their default.
                if (request.CanPublish is { } canPublish)
                {
                    data["can_publish"] = canPublish;
                    update.Set("can_publish", (updated = updated with { CanPublish = canPublish ? null : false }).CanPublish);
                }
                if (request.CanReceive is { } canReceive)
                {
                    data["can_receive"] = canReceive;
                    update.Set("can_receive", (updated = updated with { CanReceive = canReceive ? null : false }).CanReceive);
                }
                if (request.Avatar is { } avatarId)
                {
                    avatar ??= await files.ClaimOneAsync(avatarId, FileTags.Avatars, actor.Id,
                        new FileUse { Kind = FileUseKind.MemberAvatar, Id = actor.Id, ServerId = at.Server.Id }, cancellationToken);
                    data["avatar"] = avatar;
                    update.Set("avatar", (updated = updated with { Avatar = avatar }).Avatar);
                }
                // The avatar released below is the one this write replaces.
                if (updated.Avatar != target.Avatar) update.Expect("avatar._id", target.Avatar?.Id);

                if (update.HasChanges)
                {
                    if (!await members.UpdateAsync(target.Id.Server, target.Id.User, update, cancellationToken)) return null;
                    written = true;
                    if (updated.Avatar != target.Avatar) await files.ReleaseAsync([target.Avatar], cancellationToken);
                    await events.PublishAsync(at.Server.Id, new ServerMemberUpdateEvent(updated.Id, data, remove));
                }
                return updated;
            });
        }
        catch when (avatar is not null && !written)
        {
            await files.ReleaseAsync([avatar.Id], CancellationToken.None);
            throw;
        }
    }

    /// <summary>Every role added or taken away must exist and rank below the actor.</summary>
    private static void RequireCanAssign(ServerAccess at, Member target, IReadOnlyCollection<string> next)
    {
        at.Require(ChannelPermission.AssignRoles);
        var current = target.Roles ?? [];
        foreach (var id in next.Except(current).Concat(current.Except(next)))
        {
            if (!at.Server.Roles.TryGetValue(id, out var role))
            {
                // A role deleted meanwhile may still be listed on the member; letting it go is fine.
                if (next.Contains(id)) throw StoatException.InvalidRole();
                continue;
            }
            at.RequireAboveRole(role);
        }
    }

    public async Task KickAsync(User actor, string serverId, string userId, CancellationToken cancellationToken)
    {
        var at = (await access.InServerAsync(actor, serverId, cancellationToken)).Require(ChannelPermission.KickMembers);
        if (userId == actor.Id) throw StoatException.CannotRemoveYourself();
        var target = await MemberAsync(at.Server.Id, userId, cancellationToken);
        at.RequireAbove(userId, target);
        await RemoveAsync(at.Server, userId, "Kick", cancellationToken);
    }

    /// <summary>Bans a user, member or not; a member is removed first. Banning again replaces the reason.</summary>
    public async Task<ServerBan> BanAsync(User actor, string serverId, string userId, BanRequest request, CancellationToken cancellationToken)
    {
        var at = (await access.InServerAsync(actor, serverId, cancellationToken)).Require(ChannelPermission.BanMembers);
        if (userId == actor.Id) throw StoatException.CannotRemoveYourself();
        var reason = Validation.Length(request.Reason, "reason", 0, 1024);
        _ = await users.GetAsync(userId, cancellationToken) ?? throw StoatException.UnknownUser();
        var target = await members.GetAsync(at.Server.Id, userId, cancellationToken);
        if (target is not null || userId == at.Server.Owner)
            at.RequireAbove(userId, target);

        var ban = new ServerBan(new MemberKey(at.Server.Id, userId), reason);
        await bans.SaveAsync(ban, cancellationToken);
        if (target is not null) await RemoveAsync(at.Server, userId, "Ban", cancellationToken);
        return ban;
    }

    public async Task UnbanAsync(User actor, string serverId, string userId, CancellationToken cancellationToken)
    {
        var at = (await access.InServerAsync(actor, serverId, cancellationToken)).Require(ChannelPermission.BanMembers);
        if (!await bans.DeleteAsync(at.Server.Id, userId, cancellationToken)) throw StoatException.NotFound();
    }

    public async Task<BanListResponse> ListBansAsync(User actor, string serverId, CancellationToken cancellationToken)
    {
        var at = (await access.InServerAsync(actor, serverId, cancellationToken)).Require(ChannelPermission.BanMembers);
        var all = await bans.ListAsync(at.Server.Id, cancellationToken);
        var banned = await users.GetManyAsync(all.Select(b => b.Id.User).ToList(), cancellationToken);
        return new BanListResponse(banned.OrderBy(u => u.Id, StringComparer.Ordinal).Select(u => new BannedUser(u.Id, u.Username, u.Discriminator)).ToList(), all);
    }

    public async Task<bool> IsBannedAsync(string serverId, string userId, CancellationToken cancellationToken) =>
        await bans.GetAsync(serverId, userId, cancellationToken) is not null;

    private async Task<Member> MemberAsync(string serverId, string userId, CancellationToken cancellationToken) =>
        await members.GetAsync(serverId, userId, cancellationToken) ?? throw StoatException.NotFound();
}
