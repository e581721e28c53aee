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
        await servers.UpdateAsync(at.Server.Id, new FieldUpdate().Set($"roles.{id}", role), cancellationToken);
        await events.PublishAsync(at.Server.Id, new ServerRoleUpdateEvent(at.Server.Id, id, Fields(role), []));
        return new NewRoleResponse(id, role);
    }

    public async Task<ServerRole> FetchAsync(User actor, string serverId, string roleId, CancellationToken cancellationToken)
    {
        var at = (await access.InServerAsync(actor, serverId, cancellationToken)).Require(ChannelPermission.ViewChannel);
        return at.Server.Roles.GetValueOrDefault(roleId) ?? throw StoatException.NotFound();
    }

    /// <summary>Writes only the fields edited, to a role still there and still below the actor, as when it was read.</summary>
    public Task<ServerRole> EditAsync(User actor, string serverId, string roleId, EditRoleRequest request, CancellationToken cancellationToken) =>
        OptimisticWrite.RetryAsync(async () =>
        {
            var (at, role) = await ManageableRoleAsync(actor, serverId, roleId, cancellationToken);
            var remove = Validation.Removals(request.Remove, ["Colour"]);
            Validation.Length(request.Name, "name", 1, 32);
            if (request.Colour is { } colour && (Validation.Length(colour, "colour", 1, 128) is null || !CssColour.IsValid(colour)))
                throw StoatException.FailedValidation("colour must be a CSS colour or gradient");

            var path = $"roles.{roleId}";
            var update = new FieldUpdate().Expect($"{path}.rank", role.Rank);
            var updated = role;
            if (remove.Contains("Colour"))
            {
                updated = updated with { Colour = null };
                update.Unset($"{path}.colour");
            }
            var data = new Dictionary<string, object?>();
            void Change(string field, object value)
            {
                data[field] = value;
                update.Set($"{path}.{field}", value);
            }
            if (request.Name is { } name) Change("name", (updated = updated with { Name = name }).Name);
            if (request.Colour is { } newColour) Change("colour", (updated = updated with { Colour = newColour }).Colour!);
            if (request.Hoist is { } hoist) Change("hoist", (updated = updated with { Hoist = hoist }).Hoist);
            // `rank` is accepted and ignored, as in Stoat: ranks change only through the ranks route.

            if (update.HasChanges)
            {
                if (!await servers.UpdateAsync(at.Server.Id, update, cancellationToken)) return null;
                await events.PublishAsync(at.Server.Id, new ServerRoleUpdateEvent(at.Server.Id, roleId, data, remove));
            }
            return updated;
        });

    /// <summary>Deletes the role and takes it from every member and channel override.</summary>
    public async Task DeleteAsync(User actor, string serverId, string roleId, CancellationToken cancellationToken)
    {
        var (at, _) = await ManageableRoleAsync(actor, serverId, roleId, cancellationToken);
        await servers.UpdateAsync(at.Server.Id, new FieldUpdate().Unset($"roles.{roleId}"), cancellationToken);
        await members.RemoveRoleAsync(at.Server.Id, roleId, cancellationToken);
        foreach (var channel in (await channels.ListByServerAsync(at.Server.Id, cancellationToken)).OfType<TextChannel>())
        {
            if (channel.RolePermissions?.ContainsKey(roleId) != true) continue;
            await channels.UpdateAsync(channel.Id, new FieldUpdate().Unset($"role_permissions.{roleId}"), cancellationToken);
            // An emptied map is left out, as channels without overrides have it; one given an override meanwhile keeps it.
            await channels.UpdateAsync(channel.Id, new FieldUpdate().Expect("role_permissions", new Dictionary<string, OverrideField>()).Unset("role_permissions"),
                cancellationToken);
        }
        await events.PublishAsync(at.Server.Id, new ServerRoleDeleteEvent(at.Server.Id, roleId));
    }

    /// <summary>
    /// Reorders every role at once, top first. Roles at or above the actor's own rank keep their places: one
    /// may only rearrange what ranks below oneself.
    /// </summary>
    public Task<Server> EditRanksAsync(User actor, string serverId, EditRoleRanksRequest request, CancellationToken cancellationToken) =>
        OptimisticWrite.RetryAsync(async () =>
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

            // Which roles the actor may move depends on the ranks read: the write expects them unchanged.
            var update = new FieldUpdate();
            foreach (var (id, index) in ranks.Select((id, index) => (id, index)))
                update.Expect($"roles.{id}.rank", at.Server.Roles[id].Rank).Set($"roles.{id}.rank", index);
            if (!await servers.UpdateAsync(at.Server.Id, update, cancellationToken)) return null;

            var updated = at.Server with { Roles = ranks.Select((id, index) => (id, index)).ToDictionary(r => r.id, r => at.Server.Roles[r.id] with { Rank = r.index }) };
            await events.PublishAsync(updated.Id, new ServerRoleRanksUpdateEvent(updated.Id, ranks));
            return updated;
        });

    private async Task<(ServerAccess At, ServerRole Role)> ManageableRoleAsync(User actor, string serverId, string roleId, CancellationToken cancellationToken)
    {
        var at = (await access.InServerAsync(actor, serverId, cancellationToken)).Require(ChannelPermission.ManageRole);
        var role = at.Server.Roles.GetValueOrDefault(roleId) ?? throw StoatException.NotFound();
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
