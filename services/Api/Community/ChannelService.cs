using System.Text.Json;
using Microsoft.Extensions.Options;
using Spokes.Api.Configuration;
using Spokes.Api.Errors;
using Spokes.Api.Events;
using Spokes.Api.Files;
using Spokes.Api.Identity;
using Spokes.Api.Models;
using Spokes.Api.Storage;
using Spokes.Contracts.Files.V1;
using Spokes.Permissions;

namespace Spokes.Api.Community;

/// <summary>Stoat's channel routes: fetch, edit, delete or close, permission overrides, DMs and groups.</summary>
public sealed class ChannelService(
    CommunityAccess access,
    IChannelStore channels,
    IServerStore servers,
    IUserStore users,
    EventPublisher events,
    Messaging.MessagePoster poster,
    IFileClaims files,
    IOptionsMonitor<ApiOptions> options)
{
    private static readonly string[] RemovableFields = ["Description", "Icon", "DefaultPermissions", "Voice"];

    /// <summary>The longest slowmode, six hours, as in Discord.</summary>
    public const int MaxSlowmode = 21_600;

    public async Task<Channel> FetchAsync(User actor, string channelId, CancellationToken cancellationToken) =>
        (await access.InChannelAsync(actor, channelId, cancellationToken)).Require(ChannelPermission.ViewChannel).Channel;

    /// <summary>
    /// Edits the channel; only the fields given are written. A new icon is claimed once, after every check of the
    /// first attempt, kept for the attempts after it, and released if the edit is refused.
    /// </summary>
    public async Task<Channel> EditAsync(User actor, string channelId, EditChannelRequest request, CancellationToken cancellationToken)
    {
        AutumnFile? icon = null;
        var written = false;
        try
        {
            return await OptimisticWrite.RetryAsync<Channel>(async () =>
            {
                var at = (await access.InChannelAsync(actor, channelId, cancellationToken)).Require(ChannelPermission.ManageChannel);
                var remove = Validation.Removals(request.Remove, RemovableFields);
                Validation.Length(request.Name, "name", 1, 32);
                Validation.Length(request.Description, "description", 0, 1024);
                if (request.Voice?.MaxUsers is < 1) throw StoatException.FailedValidation("voice.max_users must be at least 1");
                if (request.Slowmode is < 0 or > MaxSlowmode) throw StoatException.FailedValidation($"slowmode must be 0–{MaxSlowmode} seconds");

                var update = new FieldUpdate();
                foreach (var field in remove) update.Unset(JsonNamingPolicy.SnakeCaseLower.ConvertName(field));
                var data = new Dictionary<string, object?>();
                void Change<T>(string field, T value)
                {
                    data[field] = value;
                    update.Set(field, value);
                }
                Channel updated;
                switch (at.Channel)
                {
                    case Group group:
                        if (request.Voice is not null || request.Slowmode is not null || remove.Contains("DefaultPermissions") || remove.Contains("Voice"))
                            throw StoatException.InvalidOperation();
                        var editedGroup = group with
                        {
                            Description = remove.Contains("Description") ? null : group.Description,
                            Icon = remove.Contains("Icon") ? null : group.Icon,
                        };
                        if (request.Name is { } groupName) Change("name", (editedGroup = editedGroup with { Name = groupName }).Name);
                        if (request.Description is { } groupDescription) Change("description", (editedGroup = editedGroup with { Description = groupDescription }).Description);
                        if (request.Nsfw is { } groupNsfw) Change("nsfw", (editedGroup = editedGroup with { Nsfw = groupNsfw }).Nsfw);
                        if (request.Owner is { } owner)
                        {
                            // Handing the group over is the owner's alone, and only to someone in it: as read, and still so when written.
                            if (group.Owner != actor.Id) throw StoatException.NotOwner();
                            if (!group.Recipients.Contains(owner)) throw StoatException.NotInGroup();
                            Change("owner", (editedGroup = editedGroup with { Owner = owner }).Owner);
                            update.Expect("owner", group.Owner).Expect("recipients", group.Recipients);
                        }
                        updated = editedGroup;
                        break;
                    case TextChannel text:
                        if (request.Owner is not null) throw StoatException.InvalidOperation();
                        var editedText = text with
                        {
                            Description = remove.Contains("Description") ? null : text.Description,
                            DefaultPermissions = remove.Contains("DefaultPermissions") ? null : text.DefaultPermissions,
                            Voice = remove.Contains("Voice") ? null : text.Voice,
                            Icon = remove.Contains("Icon") ? null : text.Icon,
                        };
                        if (request.Name is { } name) Change("name", (editedText = editedText with { Name = name }).Name);
                        if (request.Description is { } description) Change("description", (editedText = editedText with { Description = description }).Description);
                        if (request.Nsfw is { } nsfw) Change("nsfw", (editedText = editedText with { Nsfw = nsfw }).Nsfw);
                        if (request.Voice is { } voice) Change("voice", (editedText = editedText with { Voice = voice }).Voice);
                        if (request.Slowmode is { } slowmode) Change("slowmode", (editedText = editedText with { Slowmode = slowmode }).Slowmode);
                        updated = editedText;
                        break;
                    default:
                        throw StoatException.InvalidOperation();
                }
                // `archived` is accepted as Stoat accepts it; channels have no archived state to keep.

                if (request.Icon is { } iconId)
                {
                    icon ??= await files.ClaimOneAsync(iconId, FileTags.Icons, actor.Id,
                        new FileUse { Kind = FileUseKind.ChannelIcon, Id = at.Channel.Id, ServerId = (at.Channel as TextChannel)?.Server ?? "" }, cancellationToken);
                    updated = updated switch
                    {
                        Group group => group with { Icon = icon },
                        TextChannel text => text with { Icon = icon },
                        _ => updated,
                    };
                    Change("icon", icon);
                }
                // The icon released below is the one this write replaces.
                if (updated.IconFile != at.Channel.IconFile) update.Expect("icon._id", at.Channel.IconFile?.Id);

                if (update.HasChanges)
                {
                    if (!await channels.UpdateAsync(updated.Id, update, cancellationToken)) return null;
                    written = true;
                    if (updated.IconFile != at.Channel.IconFile) await files.ReleaseAsync([at.Channel.IconFile], cancellationToken);
                    await events.PublishAsync(updated.Id, new ChannelUpdateEvent(updated.Id, data, remove));
                    // As in Stoat, changes to a group are told in the group itself.
                    if (updated is Group)
                    {
                        if (request.Name is not null) await poster.PostSystemAsync(updated, new ChannelRenamed(request.Name, actor.Id), cancellationToken);
                        if (request.Description is not null || remove.Contains("Description"))
                            await poster.PostSystemAsync(updated, new ChannelDescriptionChanged(actor.Id), cancellationToken);
                        if (request.Owner is { } newOwner) await poster.PostSystemAsync(updated, new ChannelOwnershipChanged(actor.Id, newOwner), cancellationToken);
                        if (request.Icon is not null) await poster.PostSystemAsync(updated, new ChannelIconChanged(actor.Id), cancellationToken);
                    }
                }
                return updated;
            });
        }
        catch when (icon is not null && !written)
        {
            await files.ReleaseAsync([icon.Id], CancellationToken.None);
            throw;
        }
    }

    /// <summary>Deletes a server channel, closes a DM, or leaves a group (which ends with its last member).</summary>
    public async Task DeleteAsync(User actor, string channelId, bool silently, CancellationToken cancellationToken)
    {
        var at = (await access.InChannelAsync(actor, channelId, cancellationToken)).Require(ChannelPermission.ViewChannel);
        switch (at.Channel)
        {
            case SavedMessages:
                throw StoatException.InvalidOperation();
            case DirectMessage direct:
                if (!direct.Active) return;
                await channels.UpdateAsync(direct.Id, new FieldUpdate().Set("active", false), cancellationToken);
                await events.PublishAsync(direct.Id, new ChannelUpdateEvent(direct.Id, new Dictionary<string, object?> { ["active"] = false }, []));
                return;
            case Group group:
                if (!group.Recipients.Contains(actor.Id)) throw StoatException.NotInGroup();
                await LeaveGroupAsync(group, actor.Id, silently ? null : new UserLeft(actor.Id), cancellationToken);
                return;
            case TextChannel text:
                at.Require(ChannelPermission.ManageChannel);
                await channels.DeleteAsync(text.Id, cancellationToken);
                await servers.RemoveChannelAsync(text.Server, text.Id, cancellationToken);
                await files.ReleaseAsync([text.Icon], cancellationToken);
                await events.PublishAsync(text.Id, new ChannelDeleteEvent(text.Id));
                return;
        }
    }

    /// <summary>
    /// Takes the user out of the group, told in it as <paramref name="announcement"/> when given. The store hands
    /// an owner's group to who remains, and the last to leave ends it.
    /// </summary>
    private async Task LeaveGroupAsync(Group group, string userId, SystemMessage? announcement, CancellationToken cancellationToken)
    {
        var left = await channels.RemoveRecipientAsync(group.Id, userId, cancellationToken) ?? throw StoatException.NotInGroup();
        if (left.Recipients.Count == 0)
        {
            await channels.DeleteAsync(group.Id, cancellationToken);
            await files.ReleaseAsync([left.Icon], cancellationToken);
            await events.PublishAsync(group.Id, new ChannelDeleteEvent(group.Id));
            return;
        }
        await events.PublishAsync(group.Id, new ChannelGroupLeaveEvent(group.Id, userId));
        if (announcement is not null) await poster.PostSystemAsync(left, announcement, cancellationToken);
        if (left.Owner != userId && group.Owner == userId)
        {
            await events.PublishAsync(group.Id, new ChannelUpdateEvent(group.Id, new Dictionary<string, object?> { ["owner"] = left.Owner }, []));
            await poster.PostSystemAsync(left, new ChannelOwnershipChanged(userId, left.Owner), cancellationToken);
        }
    }

    public async Task<Channel> CreateGroupAsync(User actor, CreateGroupRequest request, CancellationToken cancellationToken)
    {
        var name = Validation.Required(request.Name, "name", 1, 32);
        var description = Validation.Length(request.Description, "description", 0, 1024);
        var invited = (request.Users ?? []).Where(id => id != actor.Id).Distinct().ToList();
        var max = options.CurrentValue.Limits.Global.GroupSize;
        if (invited.Count + 1 > max) throw StoatException.GroupTooLarge(max);
        var relationships = await users.GetRelationshipsAsync(actor.Id, cancellationToken);
        var found = (await users.GetManyAsync(invited, cancellationToken)).Select(u => u.Id).ToHashSet();
        foreach (var id in invited)
        {
            if (!found.Contains(id)) throw StoatException.UnknownUser();
            if (relationships.GetValueOrDefault(id) != RelationshipStatus.Friend) throw StoatException.NotFriends();
        }

        var groupId = SecureTokens.NewId();
        var icon = request.Icon is { } iconId
            ? await files.ClaimOneAsync(iconId, FileTags.Icons, actor.Id, new FileUse { Kind = FileUseKind.ChannelIcon, Id = groupId }, cancellationToken)
            : null;
        var group = new Group(groupId, name, actor.Id, description, [actor.Id, .. invited], null, null, request.Nsfw ?? false, icon);
        await files.ReleaseIfFailsAsync(icon is null ? [] : [icon], async () =>
        {
            await channels.CreateAsync(group, cancellationToken);
            return group;
        });
        foreach (var recipient in group.Recipients) await events.PublishAsync(EventPublisher.PrivateTopic(recipient), new ChannelCreateEvent(group));
        return group;
    }

    /// <summary>Adds a friend to a group; needs InviteOthers there.</summary>
    public async Task AddRecipientAsync(User actor, string groupId, string userId, CancellationToken cancellationToken)
    {
        var at = (await access.InChannelAsync(actor, groupId, cancellationToken)).Require(ChannelPermission.InviteOthers);
        if (at.Channel is not Group group) throw StoatException.InvalidOperation();
        if (group.Recipients.Contains(userId)) throw StoatException.AlreadyInGroup();
        _ = await users.GetAsync(userId, cancellationToken) ?? throw StoatException.UnknownUser();
        if ((await users.GetRelationshipsAsync(actor.Id, cancellationToken)).GetValueOrDefault(userId) != RelationshipStatus.Friend)
            throw StoatException.NotFriends();
        await JoinGroupAsync(group, userId, actor.Id, cancellationToken);
    }

    /// <summary>Adds <paramref name="userId"/>, invited by <paramref name="addedBy"/>, to the group: the group learns of them, they of the group.</summary>
    public async Task<Group> JoinGroupAsync(Group group, string userId, string addedBy, CancellationToken cancellationToken)
    {
        if (group.Recipients.Contains(userId)) throw StoatException.AlreadyInGroup();
        var max = options.CurrentValue.Limits.Global.GroupSize;
        if (group.Recipients.Count >= max) throw StoatException.GroupTooLarge(max);
        // The store checks both again as it adds them, against the group as it is then.
        if (!await channels.AddRecipientAsync(group.Id, userId, max, cancellationToken))
        {
            var now = await channels.GetAsync(group.Id, cancellationToken) as Group ?? throw StoatException.NotFound();
            throw now.Recipients.Contains(userId) ? StoatException.AlreadyInGroup() : StoatException.GroupTooLarge(max);
        }
        var joined = await channels.GetAsync(group.Id, cancellationToken) as Group ?? throw StoatException.NotFound();
        await events.PublishAsync(group.Id, new ChannelGroupJoinEvent(group.Id, userId));
        await events.PublishAsync(EventPublisher.PrivateTopic(userId), new ChannelCreateEvent(joined));
        await poster.PostSystemAsync(joined, new UserAdded(userId, addedBy), cancellationToken);
        return joined;
    }

    /// <summary>The owner removes someone else from the group.</summary>
    public async Task RemoveRecipientAsync(User actor, string groupId, string userId, CancellationToken cancellationToken)
    {
        var at = (await access.InChannelAsync(actor, groupId, cancellationToken)).Require(ChannelPermission.ViewChannel);
        if (at.Channel is not Group group) throw StoatException.InvalidOperation();
        // Stoat answers a member who is not the owner as lacking ManageChannel.
        if (group.Owner != actor.Id && !actor.Privileged) throw new PermissionDeniedException("MissingPermission", nameof(ChannelPermission.ManageChannel));
        if (userId == actor.Id) throw StoatException.CannotRemoveYourself();
        if (!group.Recipients.Contains(userId)) throw StoatException.NotInGroup();
        await LeaveGroupAsync(group, userId, new UserRemoved(userId, actor.Id), cancellationToken);
    }

    public async Task<IReadOnlyList<UserResponse>> GroupMembersAsync(User actor, string groupId, CancellationToken cancellationToken)
    {
        var at = (await access.InChannelAsync(actor, groupId, cancellationToken)).Require(ChannelPermission.ViewChannel);
        if (at.Channel is not Group group) throw StoatException.InvalidOperation();
        return await access.SeenByAsync(actor, group.Recipients, cancellationToken);
    }

    /// <summary>A role's override in a server channel: for roles below the actor, granting only what the actor holds here.</summary>
    public Task<Channel> SetRolePermissionsAsync(User actor, string channelId, string roleId, RolePermissionsRequest request, CancellationToken cancellationToken) =>
        OptimisticWrite.RetryAsync<Channel>(async () =>
        {
            var at = (await access.InChannelAsync(actor, channelId, cancellationToken)).Require(ChannelPermission.ManagePermissions);
            if (at.Channel is not TextChannel text) throw StoatException.InvalidOperation();
            var server = at.Server!;
            var role = server.Roles.GetValueOrDefault(roleId) ?? throw StoatException.NotFound();
            var next = RoleService.ToOverride(request.Permissions);
            access.At(actor, server, at.Member).RequireAboveRole(role);
            OverrideField? current = text.RolePermissions?.TryGetValue(roleId, out var field) == true ? field : null;
            PermissionCalculator.RequireCanGive(at.Permissions, current?.ToOverride(), next);

            var path = $"role_permissions.{roleId}";
            if (!await channels.UpdateAsync(text.Id, new FieldUpdate().ExpectOverride(path, current).Set(path, OverrideField.From(next)), cancellationToken)) return null;
            // The event carries the whole map: read back, it holds the other roles' overrides as they now are.
            var overrides = (await channels.GetAsync(text.Id, cancellationToken) as TextChannel)?.RolePermissions
                ?? new Dictionary<string, OverrideField> { [roleId] = OverrideField.From(next) };
            await events.PublishAsync(text.Id, new ChannelUpdateEvent(text.Id, new Dictionary<string, object?> { ["role_permissions"] = overrides }, []));
            return text with { RolePermissions = overrides };
        });

    /// <summary>A server channel's default override (<c>{allow, deny}</c>), or what a group's members may do (a number).</summary>
    public Task<Channel> SetDefaultPermissionsAsync(User actor, string channelId, DefaultChannelPermissionsRequest request, CancellationToken cancellationToken) =>
        OptimisticWrite.RetryAsync<Channel>(async () =>
        {
            var at = (await access.InChannelAsync(actor, channelId, cancellationToken)).Require(ChannelPermission.ManagePermissions);
            Channel updated;
            FieldUpdate update;
            Dictionary<string, object?> data;
            // What may be given is decided from the permissions as read: the write expects them unchanged.
            switch (at.Channel)
            {
                case TextChannel text:
                    var next = RoleService.ToOverride(ReadOverride(request.Permissions));
                    PermissionCalculator.RequireCanGive(at.Permissions, text.DefaultPermissions?.ToOverride(), next);
                    var field = OverrideField.From(next);
                    updated = text with { DefaultPermissions = field };
                    update = new FieldUpdate().ExpectOverride("default_permissions", text.DefaultPermissions).Set("default_permissions", field);
                    data = new() { ["default_permissions"] = field };
                    break;
                case Group group:
                    if (request.Permissions.ValueKind != JsonValueKind.Number || !request.Permissions.TryGetUInt64(out var value))
                        throw StoatException.FailedValidation("permissions must be a number for a group");
                    var current = group.Permissions is { } old ? (ChannelPermission)unchecked((ulong)old) : ChannelPermission.None;
                    PermissionCalculator.RequireCanGive(at.Permissions, current, (ChannelPermission)value);
                    updated = group with { Permissions = unchecked((long)value) };
                    update = new FieldUpdate().Expect("permissions", group.Permissions).Set("permissions", unchecked((long)value));
                    data = new() { ["permissions"] = unchecked((long)value) };
                    break;
                default:
                    throw StoatException.InvalidOperation();
            }
            if (!await channels.UpdateAsync(updated.Id, update, cancellationToken)) return null;
            await events.PublishAsync(updated.Id, new ChannelUpdateEvent(updated.Id, data, []));
            return updated;
        });

    private static OverrideValue? ReadOverride(JsonElement value)
    {
        try
        {
            return value.ValueKind == JsonValueKind.Object ? value.Deserialize<OverrideValue>(StoatJson.Options) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Saved messages, open DMs and groups: what a client lists beside its servers.</summary>
    public async Task<IReadOnlyList<Channel>> DirectMessagesAsync(User actor, CancellationToken cancellationToken) =>
        (await channels.ListPrivateAsync(actor.Id, cancellationToken)).Where(c => c is not DirectMessage { Active: false }).ToList();

    /// <summary>The DM with a user (made when first asked for), or one's saved messages when the user is oneself.</summary>
    public async Task<Channel> OpenDirectMessageAsync(User actor, string targetId, CancellationToken cancellationToken)
    {
        var target = await users.GetAsync(targetId, cancellationToken) ?? throw StoatException.UnknownUser();
        if (target.Id != actor.Id) PermissionCalculator.Require(await access.TowardsAsync(actor, target.Id, cancellationToken), UserPermission.SendMessage);
        if (await channels.FindDirectAsync(actor.Id, target.Id, cancellationToken) is { } existing) return existing;

        Channel channel = target.Id == actor.Id
            ? new SavedMessages(SecureTokens.NewId(), actor.Id)
            : new DirectMessage(SecureTokens.NewId(), false, [actor.Id, target.Id], null);
        try
        {
            await channels.CreateAsync(channel, cancellationToken);
        }
        catch (DuplicateKeyException)
        {
            // Opened meanwhile, from either side: that one is the DM.
            return await channels.FindDirectAsync(actor.Id, target.Id, cancellationToken) ?? throw StoatException.InternalError();
        }
        foreach (var user in channel.PrivateUsers()) await events.PublishAsync(EventPublisher.PrivateTopic(user), new ChannelCreateEvent(channel));
        return channel;
    }
}
