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

/// <summary>Stoat's server routes: create, fetch, edit, delete or leave, channels, and server-level permissions.</summary>
public sealed class ServerService(
    CommunityAccess access,
    MemberService members,
    IServerStore servers,
    IChannelStore channels,
    IMemberStore memberStore,
    IUserStore users,
    IUnreadStore unreads,
    MfaService mfa,
    EventPublisher events,
    IFileClaims files,
    IOptionsMonitor<ApiOptions> options,
    Setup.DemoMode demo)
{
    private static readonly string[] RemovableFields = ["Description", "Categories", "SystemMessages", "Icon", "Banner"];

    public async Task<CreateServerResponse> CreateAsync(User actor, CreateServerRequest request, CancellationToken cancellationToken)
    {
        var name = Validation.Required(request.Name, "name", 1, 32);
        var description = Validation.Length(request.Description, "description", 0, 1024);
        await members.RequireRoomForAnotherServerAsync(actor, cancellationToken);
        await demo.RequireRoomForServerAsync(cancellationToken);

        var serverId = SecureTokens.NewId();
        var general = new TextChannel(SecureTokens.NewId(), serverId, "General", null, null, null, null, false, null);
        var server = new Server(serverId, actor.Id, name, description, [general.Id], null,
            new SystemMessageChannels(general.Id, general.Id, general.Id, general.Id),
            new Dictionary<string, ServerRole>(), (long)DefaultPermissions.Server, Nsfw: request.Nsfw ?? false);
        await servers.CreateAsync(server, cancellationToken);
        await channels.CreateAsync(general, cancellationToken);
        await members.JoinAsync(actor, server, cancellationToken);
        return new CreateServerResponse(server, [general]);
    }

    /// <summary>Members (and privileged users) who can view the server see it.</summary>
    public async Task<Server> FetchAsync(User actor, string serverId, CancellationToken cancellationToken) =>
        (await access.InServerAsync(actor, serverId, cancellationToken)).Require(ChannelPermission.ViewChannel).Server;

    /// <summary>
    /// Edits the server; only the fields given are written. Handing the server to another member (<c>owner</c>) is
    /// the owner's alone, as in Stoat, and needs a validated MFA ticket (<paramref name="mfaTicket"/>, from
    /// <c>X-MFA-Ticket</c>), used up once everything else has been checked.
    /// </summary>
    public async Task<Server> EditAsync(User actor, string serverId, EditServerRequest request, string? mfaTicket, CancellationToken cancellationToken)
    {
        var at = await access.InServerAsync(actor, serverId, cancellationToken);
        var remove = Validation.Removals(request.Remove, RemovableFields);
        if (request.Flags is not null || request.Discoverable is not null)
        {
            if (!actor.Privileged) throw StoatException.NotPrivileged();
        }
        if (request.Name is not null || request.Description is not null || request.Categories is not null || request.SystemMessages is not null
            || request.Analytics is not null || request.Icon is not null || request.Banner is not null || remove.Count > 0)
        {
            at.Require(ChannelPermission.ManageServer);
        }
        if (request.Owner is not null && at.Server.Owner != actor.Id && !actor.Privileged) throw StoatException.NotOwner();
        Validation.Length(request.Name, "name", 1, 32);
        Validation.Length(request.Description, "description", 0, 1024);
        var server = at.Server;
        if (request.Categories is { } categories) ValidateCategories(server, categories);
        if (request.SystemMessages?.ChannelIds().FirstOrDefault(id => !server.Channels.Contains(id)) is not null) throw StoatException.NotFound();
        if (request.Owner is { } newOwner) await RequireCanOwnAsync(server, newOwner, cancellationToken);

        var update = new FieldUpdate();
        var updated = server;
        foreach (var field in remove)
        {
            update.Unset(JsonNamingPolicy.SnakeCaseLower.ConvertName(field));
            updated = field switch
            {
                "Description" => updated with { Description = null },
                "Categories" => updated with { Categories = null },
                "SystemMessages" => updated with { SystemMessages = null },
                "Icon" => updated with { Icon = null },
                "Banner" => updated with { Banner = null },
                _ => updated,
            };
        }
        var data = new Dictionary<string, object?>();
        void Change<T>(string field, T value)
        {
            data[field] = value;
            update.Set(field, value);
        }
        if (request.Name is { } name) Change("name", (updated = updated with { Name = name }).Name);
        if (request.Description is { } description) Change("description", (updated = updated with { Description = description }).Description);
        if (request.Categories is { } newCategories) Change("categories", (updated = updated with { Categories = newCategories }).Categories);
        if (request.SystemMessages is { } system) Change("system_messages", (updated = updated with { SystemMessages = system }).SystemMessages);
        if (request.Flags is { } flags) Change("flags", (updated = updated with { Flags = flags }).Flags);
        if (request.Discoverable is { } discoverable) Change("discoverable", (updated = updated with { Discoverable = discoverable }).Discoverable);
        if (request.Analytics is { } analytics) Change("analytics", (updated = updated with { Analytics = analytics }).Analytics);
        if (request.Owner is { } owner)
        {
            Change("owner", (updated = updated with { Owner = owner }).Owner);
            // The right to hand it over was the owner's as read.
            update.Expect("owner", server.Owner);
            await UseValidatedTicketAsync(actor, mfaTicket, cancellationToken);
        }

        // The files last of all, so a refused edit claims nothing; the write then expects the files it replaces.
        var claimed = new List<AutumnFile>();
        if (request.Icon is { } iconId)
        {
            var icon = await files.ClaimOneAsync(iconId, FileTags.Icons, actor.Id,
                new FileUse { Kind = FileUseKind.ServerIcon, Id = server.Id, ServerId = server.Id }, cancellationToken);
            claimed.Add(icon);
            Change("icon", (updated = updated with { Icon = icon }).Icon);
        }
        if (request.Banner is { } bannerId)
        {
            var banner = await files.ReleaseIfFailsAsync(claimed, () => files.ClaimOneAsync(bannerId, FileTags.Banners, actor.Id,
                new FileUse { Kind = FileUseKind.ServerBanner, Id = server.Id, ServerId = server.Id }, cancellationToken));
            claimed.Add(banner);
            Change("banner", (updated = updated with { Banner = banner }).Banner);
        }
        if (updated.Icon != server.Icon) update.Expect("icon._id", server.Icon?.Id);
        if (updated.Banner != server.Banner) update.Expect("banner._id", server.Banner?.Id);

        if (update.HasChanges)
        {
            await files.ReleaseIfFailsAsync(claimed, async () => await servers.UpdateAsync(server.Id, update, cancellationToken)
                ? true
                : throw (request.Owner is null ? StoatException.NotFound() : StoatException.NotOwner()));
            await files.ReleaseAsync([updated.Icon != server.Icon ? server.Icon : null, updated.Banner != server.Banner ? server.Banner : null], cancellationToken);
            await events.PublishAsync(server.Id, new ServerUpdateEvent(server.Id, data, remove));
        }
        return updated;
    }

    /// <summary>A new owner must be a member, and a person: a bot cannot own a server.</summary>
    private async Task RequireCanOwnAsync(Server server, string userId, CancellationToken cancellationToken)
    {
        if (await memberStore.GetAsync(server.Id, userId, cancellationToken) is null) throw StoatException.NotFound();
        var user = await users.GetAsync(userId, cancellationToken) ?? throw StoatException.NotFound();
        if (user.IsBot) throw StoatException.InvalidOperation();
    }

    /// <summary>A validated ticket of the actor's own account, used up; without one the change is refused, as Stoat refuses it.</summary>
    private async Task UseValidatedTicketAsync(User actor, string? token, CancellationToken cancellationToken)
    {
        if (await mfa.FindAsync(token, cancellationToken) is not { Validated: true } ticket || ticket.AccountId != actor.Id)
            throw StoatException.InvalidCredentials();
        await mfa.UseAsync(ticket, cancellationToken);
    }

    private static void ValidateCategories(Server server, IReadOnlyList<Category> categories)
    {
        foreach (var category in categories)
        {
            Validation.Required(category.Id, "categories.id", 1, 32);
            Validation.Required(category.Title, "categories.title", 1, 32);
            if (category.Channels is null) throw StoatException.FailedValidation("categories.channels is required");
            if (category.Channels.FirstOrDefault(id => !server.Channels.Contains(id)) is not null) throw StoatException.UnknownChannel();
        }
        if (categories.Select(c => c.Id).Distinct().Count() != categories.Count) throw StoatException.FailedValidation("category ids must be unique");
        if (categories.SelectMany(c => c.Channels).GroupBy(id => id).Any(g => g.Count() > 1))
            throw StoatException.FailedValidation("a channel can be in one category only");
    }

    /// <summary>The owner deletes the server; anyone else leaves it.</summary>
    public async Task DeleteOrLeaveAsync(User actor, string serverId, bool silently, CancellationToken cancellationToken)
    {
        var server = await access.ServerAsync(serverId, cancellationToken);
        if (server.Owner == actor.Id)
        {
            var serverChannels = await channels.ListByServerAsync(server.Id, cancellationToken);
            await servers.DeleteAsync(server.Id, cancellationToken);
            await files.ReleaseAsync([server.Icon, server.Banner, .. serverChannels.Select(c => c.IconFile)], cancellationToken);
            await events.PublishAsync(server.Id, new ServerDeleteEvent(server.Id));
            return;
        }
        if (!await members.RemoveAsync(server, actor.Id, "Leave", cancellationToken, silently)) throw StoatException.NotFound();
    }

    public async Task<Channel> CreateChannelAsync(User actor, string serverId, CreateChannelRequest request, CancellationToken cancellationToken)
    {
        var at = (await access.InServerAsync(actor, serverId, cancellationToken)).Require(ChannelPermission.ManageChannel);
        var name = Validation.Required(request.Name, "name", 1, 32);
        var description = Validation.Length(request.Description, "description", 0, 1024);
        var voice = (request.Type ?? "Text") switch
        {
            "Text" => request.Voice,
            "Voice" => request.Voice ?? new VoiceInformation(null),
            _ => throw StoatException.FailedValidation("type must be Text or Voice"),
        };
        if (voice?.MaxUsers is < 1) throw StoatException.FailedValidation("voice.max_users must be at least 1");
        var max = options.CurrentValue.Limits.Global.ServerChannels;
        if (at.Server.Channels.Count >= max) throw StoatException.TooManyChannels(max);

        var channel = new TextChannel(SecureTokens.NewId(), at.Server.Id, name, description, null, null, null, request.Nsfw ?? false, voice);
        await channels.CreateAsync(channel, cancellationToken);
        await servers.AddChannelAsync(at.Server.Id, channel.Id, cancellationToken);
        // As Stoat does: the server's new channel list first (clients redraw their channel list from it), then the
        // channel. The list is read back after the write, so it holds this channel and any made at the same time.
        var listed = (await servers.GetAsync(at.Server.Id, cancellationToken))?.Channels ?? [.. at.Server.Channels, channel.Id];
        await events.PublishAsync(at.Server.Id, new ServerUpdateEvent(at.Server.Id, new Dictionary<string, object?> { ["channels"] = listed }, []));
        await events.PublishAsync(at.Server.Id, new ChannelCreateEvent(channel));
        return channel;
    }

    /// <summary>The server's base permissions; every bit newly granted must be one the actor holds.</summary>
    public Task<Server> SetDefaultPermissionsAsync(User actor, string serverId, DefaultServerPermissionsRequest request, CancellationToken cancellationToken) =>
        OptimisticWrite.RetryAsync(async () =>
        {
            var at = (await access.InServerAsync(actor, serverId, cancellationToken)).Require(ChannelPermission.ManagePermissions);
            if (request.Permissions is not { } value) throw StoatException.FailedValidation("permissions is required");
            var next = (ChannelPermission)value;
            var current = (ChannelPermission)unchecked((ulong)at.Server.DefaultPermissions);
            PermissionCalculator.RequireCanGive(at.Permissions, current, next);

            var updated = at.Server with { DefaultPermissions = unchecked((long)value) };
            var update = new FieldUpdate().Expect("default_permissions", at.Server.DefaultPermissions).Set("default_permissions", updated.DefaultPermissions);
            if (!await servers.UpdateAsync(updated.Id, update, cancellationToken)) return null;
            await events.PublishAsync(updated.Id, new ServerUpdateEvent(updated.Id, new Dictionary<string, object?> { ["default_permissions"] = updated.DefaultPermissions }, []));
            return updated;
        });

    /// <summary>A role's server-wide allow/deny: only for roles below the actor, granting only what the actor holds.</summary>
    public Task<Server> SetRolePermissionsAsync(User actor, string serverId, string roleId, RolePermissionsRequest request, CancellationToken cancellationToken) =>
        OptimisticWrite.RetryAsync(async () =>
        {
            var at = (await access.InServerAsync(actor, serverId, cancellationToken)).Require(ChannelPermission.ManagePermissions);
            var role = at.Server.Roles.GetValueOrDefault(roleId) ?? throw StoatException.NotFound();
            var next = RoleService.ToOverride(request.Permissions);
            at.RequireAboveRole(role);
            PermissionCalculator.RequireCanGive(at.Permissions, role.Permissions.ToOverride(), next);

            // Decided from the role's rank and permissions as read: the write expects both unchanged.
            var field = OverrideField.From(next);
            var update = new FieldUpdate().Expect($"roles.{roleId}.rank", role.Rank).ExpectOverride($"roles.{roleId}.permissions", role.Permissions)
                .Set($"roles.{roleId}.permissions", field);
            if (!await servers.UpdateAsync(at.Server.Id, update, cancellationToken)) return null;
            var updated = at.Server with { Roles = new Dictionary<string, ServerRole>(at.Server.Roles) { [roleId] = role with { Permissions = field } } };
            await events.PublishAsync(updated.Id, new ServerRoleUpdateEvent(updated.Id, roleId, new Dictionary<string, object?> { ["permissions"] = field }, []));
            return updated;
        });

    /// <summary>Marks every channel of the server that the member can see as read up to now.</summary>
    public async Task AckAsync(User actor, string serverId, CancellationToken cancellationToken)
    {
        var at = (await access.InServerAsync(actor, serverId, cancellationToken)).Require(ChannelPermission.ViewChannel);
        var visible = (await channels.ListByServerAsync(at.Server.Id, cancellationToken)).OfType<TextChannel>()
            .Where(channel => access.InChannel(at, channel).HasFlag(ChannelPermission.ViewChannel))
            .Select(channel => channel.Id)
            .ToList();
        // A fresh id sorts after every message sent so far, which is what "read up to now" means.
        await unreads.AckAsync(actor.Id, visible, SecureTokens.NewId(), cancellationToken);
    }
}
