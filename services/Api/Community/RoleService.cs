using Microsoft.Extensions.Options;
using Spokes.Api.Configuration;
using Spokes.Api.Errors;
using Spokes.Api.Events;
using Spokes.Api.Identity;
using Spokes.Api.Models;
using Spokes.Api.Storage;
using Spokes.Permissions;

namespace Spokes.Api.Community;

/// <summary>Stoat's role routes: create, fetch, edit, delete, and reorder. Only roles below the actor can be changed.</summary>
public sealed class RoleService(
    CommunityAccess access,
    IServerStore servers,
    IMemberStore members,
    IChannelStore channels,
    EventPublisher events,
    IOptionsMonitor<ApiOptions> options)
{
    public static PermissionOverride ToOverride(OverrideValue? value) => value is { Allow: { } allow, Deny: { } deny }
        ? new PermissionOverride((ChannelPermission)allow, (ChannelPermission)deny)
        : throw StoatException.FailedValidation("permissions must have allow and deny");

    public async Task<NewRoleResponse> CreateAsync(User actor, string serverId, CreateRoleRequest request, CancellationToken cancellationToken)
    {
        var at = (await access.InServerAsync(actor, serverId, cancellationToken)).Require(ChannelPermission.ManageRole);
        var name = Validation.Required(request.Name, "name", 1, 32);
        var max = options.CurrentValue.Limits.Global.ServerRoles;
        if (at.Server.Roles.Count >= max) throw StoatException.TooManyRoles(max);

        // A new role goes to the bottom; the ranks route moves it.
        var rank = at.Server.Roles.Count == 0 ? 0 : at.Server.Roles.Values.Max(r => r.Rank) + 1;
        var id = SecureTokens.NewId();
        var role = new ServerRole(name, new OverrideField(0, 0), null, false, rank);
        await servers.UpdateAsync(at.Server with { Roles = new Dictionary<string, ServerRole>(at.Server.Roles) { [id] = role } }, cancellationToken);
        await events.PublishAsync(at.Server.Id, new ServerRoleUpdateEvent(at.Server.Id, id, Fields(role), []));
        return new NewRoleResponse(id, role);
    }

    public async Task<ServerRole> FetchAsync(User actor, string serverId, string roleId, CancellationToken cancellationToken)
    {
        var at = (await access.InServerAsync(actor, serverId, cancellationToken)).Require(ChannelPermission.ViewChannel);
        return at.Server.Roles.GetValueOrDefault(roleId) ?? throw StoatException.InvalidRole();
    }

    public async Task<ServerRole> EditAsync(User actor, string serverId, string roleId, EditRoleRequest request, CancellationToken cancellationToken)
    {
        var (at, role) = await ManageableRoleAsync(actor, serverId, roleId, cancellationToken);
        var remove = Validation.Removals(request.Remove, ["Colour"]);
        Validation.Length(request.Name, "name", 1, 32);
        if (request.Colour is { } colour && (Validation.Length(colour, "colour", 1, 128) is null || !CssColour.IsValid(colour)))
            throw StoatException.FailedValidation("colour must be a CSS colour or gradient");

        var updated = role with { Colour = remove.Contains("Colour") ? null : role.Colour };
        var data = new Dictionary<string, object?>();
        if (request.Name is { } name) data["name"] = (updated = updated with { Name = name }).Name;
        if (request.Colour is { } newColour) data["colour"] = (updated = updated with { Colour = newColour }).Colour;
        if (request.Hoist is { } hoist) data["hoist"] = (updated = updated with { Hoist = hoist }).Hoist;
        // `rank` is accepted and ignored, as in Stoat: ranks change only through the ranks route.

        if (data.Count > 0 || remove.Count > 0)
        {
            await servers.UpdateAsync(at.Server with { Roles = new Dictionary<string, ServerRole>(at.Server.Roles) { [roleId] = updated } }, cancellationToken);
            await events.PublishAsync(at.Server.Id, new ServerRoleUpdateEvent(at.Server.Id, roleId, data, remove));
        }
        return updated;
    }

    /// <summary>Deletes the role and takes it from every member and channel override.</summary>
    public async Task DeleteAsync(User actor, string serverId, string roleId, CancellationToken cancellationToken)
    {
        var (at, _) = await ManageableRoleAsync(actor, serverId, roleId, cancellationToken);
        var roles = new Dictionary<string, ServerRole>(at.Server.Roles);
        roles.Remove(roleId);
        await servers.UpdateAsync(at.Server with { Roles = roles }, cancellationToken);
        await members.RemoveRoleAsync(at.Server.Id, roleId, cancellationToken);
        foreach (var channel in (await channels.ListByServerAsync(at.Server.Id, cancellationToken)).OfType<TextChannel>())
        {
            if (channel.RolePermissions?.ContainsKey(roleId) != true) continue;
            var overrides = channel.RolePermissions.Where(r => r.Key != roleId).ToDictionary();
            await channels.UpdateAsync(channel with { RolePermissions = overrides.Count == 0 ? null : overrides }, cancellationToken);
        }
        await events.PublishAsync(at.Server.Id, new ServerRoleDeleteEvent(at.Server.Id, roleId));
    }

    /// <summary>
    /// Reorders every role at once, top first. Roles at or above the actor's own rank keep their places: one
    /// may only rearrange what ranks below oneself.
    /// </summary>
    public async Task<Server> EditRanksAsync(User actor, string serverId, EditRoleRanksRequest request, CancellationToken cancellationToken)
    {
        var at = (await access.InServerAsync(actor, serverId, cancellationToken)).Require(ChannelPermission.ManageRole);
        var ranks = request.Ranks ?? throw StoatException.FailedValidation("ranks is required");
        if (ranks.Count != at.Server.Roles.Count || ranks.Distinct().Count() != ranks.Count || ranks.Any(id => !at.Server.Roles.ContainsKey(id)))
            throw StoatException.FailedValidation("ranks must list every role of the server exactly once");

        var actorRank = PermissionCalculator.Rank(at.Server.ToPermissions(), actor.Id, at.Member?.ToPermissions());
        var current = at.Server.Roles.OrderBy(r => r.Value.Rank).ThenBy(r => r.Key, StringComparer.Ordinal).Select(r => r.Key).ToList();
        if (!actor.Privileged)
        {
            for (var position = 0; position < current.Count; position++)
            {
                if (at.Server.Roles[current[position]].Rank <= actorRank && ranks[position] != current[position])
                    throw new PermissionDeniedException("NotElevated");
            }
        }

        var reordered = ranks.Select((id, index) => (id, index)).ToDictionary(r => r.id, r => at.Server.Roles[r.id] with { Rank = r.index });
        var updated = at.Server with { Roles = reordered };
        await servers.UpdateAsync(updated, cancellationToken);
        await events.PublishAsync(updated.Id, new ServerRoleRanksUpdateEvent(updated.Id, ranks));
        return updated;
    }

    private async Task<(ServerAccess At, ServerRole Role)> ManageableRoleAsync(User actor, string serverId, string roleId, CancellationToken cancellationToken)
    {
        var at = (await access.InServerAsync(actor, serverId, cancellationToken)).Require(ChannelPermission.ManageRole);
        var role = at.Server.Roles.GetValueOrDefault(roleId) ?? throw StoatException.InvalidRole();
        at.RequireAboveRole(role);
        return (at, role);
    }

    private static Dictionary<string, object?> Fields(ServerRole role)
    {
        var fields = new Dictionary<string, object?> { ["name"] = role.Name, ["permissions"] = role.Permissions, ["hoist"] = role.Hoist, ["rank"] = role.Rank };
        if (role.Colour is { } colour) fields["colour"] = colour;
        return fields;
    }
}
