using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Spokes.Api.Community;
using Spokes.Api.Identity;
using Spokes.Api.Models;
using Spokes.Api.Storage;

namespace Spokes.Api.Apis;

/// <summary>Stoat's <c>/servers</c> routes: servers, their channels, members, bans, roles, permissions and invites.</summary>
public static class ServersApi
{
    public static IEndpointRouteBuilder MapServersApi(this IEndpointRouteBuilder app)
    {
        var servers = app.MapGroup("/servers").WithTags("Server Information");
        servers.MapPost("/create", CreateServer).WithName("server_create_create_server").WithSummary("Create Server");
        servers.MapGet("/{target}", FetchServer).WithName("server_fetch_fetch").WithSummary("Fetch Server");
        servers.MapPatch("/{target}", EditServer).WithName("server_edit_edit").WithSummary("Edit Server");
        servers.MapDelete("/{target}", DeleteServer).WithName("server_delete_delete").WithSummary("Delete / Leave Server");
        servers.MapPost("/{server}/channels", CreateChannel).WithName("channel_create_create_server_channel").WithSummary("Create Channel");
        servers.MapPut("/{target}/ack", AckServer).WithName("server_ack_ack").WithSummary("Mark Server As Read");
        servers.MapGet("/{target}/invites", FetchInvites).WithName("invites_fetch_invites").WithSummary("Fetch Invites");

        var members = app.MapGroup("/servers").WithTags("Server Members");
        members.MapGet("/{target}/members", FetchMembers).WithName("member_fetch_all_fetch_all").WithSummary("Fetch Members");
        members.MapGet("/{target}/members_experimental_query", QueryMembers).WithName("member_experimental_query_member_experimental_query")
            .WithSummary("Query members by name");
        members.MapGet("/{target}/members/{member}", FetchMember).WithName("member_fetch_fetch").WithSummary("Fetch Member");
        members.MapPatch("/{server}/members/{member}", EditMember).WithName("member_edit_edit").WithSummary("Edit Member");
        members.MapDelete("/{target}/members/{member}", KickMember).WithName("member_remove_kick").WithSummary("Kick Member");
        members.MapPut("/{server}/bans/{target}", BanUser).WithName("ban_create_ban").WithSummary("Ban User");
        members.MapDelete("/{server}/bans/{target}", UnbanUser).WithName("ban_remove_unban").WithSummary("Unban user");
        members.MapGet("/{target}/bans", FetchBans).WithName("ban_list_list").WithSummary("Fetch Bans");

        var roles = app.MapGroup("/servers").WithTags("Server Permissions");
        roles.MapPost("/{target}/roles", CreateRole).WithName("roles_create_create").WithSummary("Create Role");
        roles.MapPatch("/{target}/roles/ranks", EditRoleRanks).WithName("roles_edit_positions_edit_role_ranks").WithSummary("Edit Role Positions");
        roles.MapGet("/{target}/roles/{role_id}", FetchRole).WithName("roles_fetch_fetch").WithSummary("Fetch Role");
        roles.MapPatch("/{target}/roles/{role_id}", EditRole).WithName("roles_edit_edit").WithSummary("Edit Role");
        roles.MapDelete("/{target}/roles/{role_id}", DeleteRole).WithName("roles_delete_delete").WithSummary("Delete Role");
        roles.MapPut("/{target}/permissions/default", SetDefaultPermissions).WithName("permissions_set_default_set_default_server_permissions")
            .WithSummary("Set Default Permission");
        roles.MapPut("/{target}/permissions/{role_id}", SetRolePermissions).WithName("permissions_set_set_role_permission").WithSummary("Set Role Permission");
        return app;
    }

    public static async Task<Ok<CreateServerResponse>> CreateServer(CreateServerRequest request, CurrentUser current, ServerService servers, CancellationToken cancellationToken) =>
        TypedResults.Ok(await servers.CreateAsync(current.Human, request, cancellationToken));

    /// <summary>
    /// <c>include_channels</c> is not honoured: Stoat's published schema for this response lists channel ids
    /// either way, and clients fetch channel objects through Ready and <c>GET /channels/{id}</c>.
    /// </summary>
    public static async Task<Ok<Server>> FetchServer(string target, CurrentUser current, ServerService servers, CancellationToken cancellationToken) =>
        TypedResults.Ok(await servers.FetchAsync(current.User, target, cancellationToken));

    /// <summary>Handing the server over (<c>owner</c>) needs a validated MFA ticket in <c>X-MFA-Ticket</c>, as in Stoat.</summary>
    public static async Task<Ok<Server>> EditServer(string target, EditServerRequest request, [FromHeader(Name = ValidatedMfaTicket.Header)] string? mfaTicket,
        CurrentUser current, ServerService servers, CancellationToken cancellationToken) =>
        TypedResults.Ok(await servers.EditAsync(current.User, target, request, mfaTicket, cancellationToken));

    /// <summary>A member who leaves is announced in the server's chosen channel, unless <c>leave_silently</c>.</summary>
    public static async Task<NoContent> DeleteServer(string target, [FromQuery(Name = "leave_silently")] bool? leaveSilently, CurrentUser current,
        ServerService servers, CancellationToken cancellationToken)
    {
        await servers.DeleteOrLeaveAsync(current.User, target, leaveSilently == true, cancellationToken);
        return TypedResults.NoContent();
    }

    public static async Task<Ok<Channel>> CreateChannel(string server, CreateChannelRequest request, CurrentUser current, ServerService servers,
        CancellationToken cancellationToken) =>
        TypedResults.Ok(await servers.CreateChannelAsync(current.User, server, request, cancellationToken));

    public static async Task<NoContent> AckServer(string target, CurrentUser current, ServerService servers, CancellationToken cancellationToken)
    {
        await servers.AckAsync(current.User, target, cancellationToken);
        return TypedResults.NoContent();
    }

    /// <summary><c>experimental_api=true</c> is required, as Stoat requires it, so callers know the route may change.</summary>
    public static async Task<Ok<AllMembersResponse>> QueryMembers(string target, [FromQuery(Name = "query")] string? query,
        [FromQuery(Name = "experimental_api")] bool? experimentalApi, CurrentUser current, MemberService members, CancellationToken cancellationToken)
    {
        if (experimentalApi != true) throw Errors.StoatException.FailedValidation("experimental_api=true is required");
        return TypedResults.Ok(await members.QueryAsync(current.User, target, query, cancellationToken));
    }

    public static async Task<Ok<IReadOnlyList<Invite>>> FetchInvites(string target, CurrentUser current, InviteService invites, CancellationToken cancellationToken) =>
        TypedResults.Ok(await invites.ListAsync(current.User, target, cancellationToken));

    public static async Task<Ok<AllMembersResponse>> FetchMembers(string target, CurrentUser current, MemberService members, CancellationToken cancellationToken) =>
        TypedResults.Ok(await members.ListAsync(current.User, target, cancellationToken));

    public static async Task<Ok<object>> FetchMember(string target, string member, [FromQuery(Name = "roles")] bool? withRoles, CurrentUser current,
        MemberService members, CancellationToken cancellationToken) =>
        TypedResults.Ok(await members.FetchAsync(current.User, target, member, withRoles ?? false, cancellationToken));

    public static async Task<Ok<Member>> EditMember(string server, string member, EditMemberRequest request, CurrentUser current, MemberService members,
        CancellationToken cancellationToken) =>
        TypedResults.Ok(await members.EditAsync(current.User, server, member, request, cancellationToken));

    public static async Task<NoContent> KickMember(string target, string member, CurrentUser current, MemberService members, CancellationToken cancellationToken)
    {
        await members.KickAsync(current.User, target, member, cancellationToken);
        return TypedResults.NoContent();
    }

    public static async Task<Ok<ServerBan>> BanUser(string server, string target, [FromBody] BanRequest? request, CurrentUser current, MemberService members,
        CancellationToken cancellationToken) =>
        TypedResults.Ok(await members.BanAsync(current.User, server, target, request ?? new BanRequest(null), cancellationToken));

    public static async Task<NoContent> UnbanUser(string server, string target, CurrentUser current, MemberService members, CancellationToken cancellationToken)
    {
        await members.UnbanAsync(current.User, server, target, cancellationToken);
        return TypedResults.NoContent();
    }

    public static async Task<Ok<BanListResponse>> FetchBans(string target, CurrentUser current, MemberService members, CancellationToken cancellationToken) =>
        TypedResults.Ok(await members.ListBansAsync(current.User, target, cancellationToken));

    public static async Task<Ok<NewRoleResponse>> CreateRole(string target, CreateRoleRequest request, CurrentUser current, RoleService roles,
        CancellationToken cancellationToken) =>
        TypedResults.Ok(await roles.CreateAsync(current.User, target, request, cancellationToken));

    public static async Task<Ok<ServerRole>> FetchRole(string target, string role_id, CurrentUser current, RoleService roles, CancellationToken cancellationToken) =>
        TypedResults.Ok(await roles.FetchAsync(current.User, target, role_id, cancellationToken));

    public static async Task<Ok<ServerRole>> EditRole(string target, string role_id, EditRoleRequest request, CurrentUser current, RoleService roles,
        CancellationToken cancellationToken) =>
        TypedResults.Ok(await roles.EditAsync(current.User, target, role_id, request, cancellationToken));

    public static async Task<NoContent> DeleteRole(string target, string role_id, CurrentUser current, RoleService roles, CancellationToken cancellationToken)
    {
        await roles.DeleteAsync(current.User, target, role_id, cancellationToken);
        return TypedResults.NoContent();
    }

    public static async Task<Ok<Server>> EditRoleRanks(string target, EditRoleRanksRequest request, CurrentUser current, RoleService roles,
        CancellationToken cancellationToken) =>
        TypedResults.Ok(await roles.EditRanksAsync(current.User, target, request, cancellationToken));

    public static async Task<Ok<Server>> SetDefaultPermissions(string target, DefaultServerPermissionsRequest request, CurrentUser current, ServerService servers,
        CancellationToken cancellationToken) =>
        TypedResults.Ok(await servers.SetDefaultPermissionsAsync(current.User, target, request, cancellationToken));

    public static async Task<Ok<Server>> SetRolePermissions(string target, string role_id, RolePermissionsRequest request, CurrentUser current,
        ServerService servers, CancellationToken cancellationToken) =>
        TypedResults.Ok(await servers.SetRolePermissionsAsync(current.User, target, role_id, request, cancellationToken));
}
