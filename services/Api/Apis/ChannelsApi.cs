using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Spokes.Api.Community;
using Spokes.Api.Identity;
using Spokes.Api.Models;
using Spokes.Api.Storage;

namespace Spokes.Api.Apis;

/// <summary>Stoat's <c>/channels</c> routes for channels, groups, permission overrides and invites (messages are in <see cref="MessagesApi"/>).</summary>
public static class ChannelsApi
{
    public static IEndpointRouteBuilder MapChannelsApi(this IEndpointRouteBuilder app)
    {
        var channels = app.MapGroup("/channels").WithTags("Channel Information");
        channels.MapPost("/create", CreateGroup).WithName("group_create_create_group").WithSummary("Create Group").WithTags("Groups");
        channels.MapGet("/{target}", FetchChannel).WithName("channel_fetch_fetch").WithSummary("Fetch Channel");
        channels.MapPatch("/{target}", EditChannel).WithName("channel_edit_edit").WithSummary("Edit Channel");
        channels.MapDelete("/{target}", DeleteChannel).WithName("channel_delete_delete").WithSummary("Close Channel");
        channels.MapGet("/{target}/members", FetchGroupMembers).WithName("members_fetch_fetch_members").WithSummary("Fetch Group Members");
        channels.MapPut("/{group_id}/recipients/{member_id}", AddRecipient).WithName("group_add_member_add_member").WithSummary("Add Member to Group");
        channels.MapDelete("/{target}/recipients/{member}", RemoveRecipient).WithName("group_remove_member_remove_member").WithSummary("Remove Member from Group");
        channels.MapPost("/{target}/invites", CreateInvite).WithName("invite_create_create_invite").WithSummary("Create Invite");
        channels.MapPut("/{target}/permissions/default", SetDefaultPermissions).WithName("permissions_set_default_set_default_channel_permissions")
            .WithSummary("Set Default Permission");
        channels.MapPut("/{target}/permissions/{role_id}", SetRolePermissions).WithName("permissions_set_set_role_permissions").WithSummary("Set Role Permission");
        return app;
    }

    public static async Task<Ok<Channel>> CreateGroup(CreateGroupRequest request, CurrentUser current, ChannelService channels, CancellationToken cancellationToken) =>
        TypedResults.Ok(await channels.CreateGroupAsync(current.Human, request, cancellationToken));

    public static async Task<Ok<Channel>> FetchChannel(string target, CurrentUser current, ChannelService channels, CancellationToken cancellationToken) =>
        TypedResults.Ok(await channels.FetchAsync(current.User, target, cancellationToken));

    public static async Task<Ok<Channel>> EditChannel(string target, EditChannelRequest request, CurrentUser current, ChannelService channels,
        CancellationToken cancellationToken) =>
        TypedResults.Ok(await channels.EditAsync(current.User, target, request, cancellationToken));

    /// <summary>Leaving a group is told in it, unless <c>leave_silently</c>.</summary>
    public static async Task<NoContent> DeleteChannel(string target, [FromQuery(Name = "leave_silently")] bool? leaveSilently, CurrentUser current,
        ChannelService channels, CancellationToken cancellationToken)
    {
        await channels.DeleteAsync(current.User, target, leaveSilently == true, cancellationToken);
        return TypedResults.NoContent();
    }

    public static async Task<Ok<IReadOnlyList<UserResponse>>> FetchGroupMembers(string target, CurrentUser current, ChannelService channels,
        CancellationToken cancellationToken) =>
        TypedResults.Ok(await channels.GroupMembersAsync(current.User, target, cancellationToken));

    public static async Task<NoContent> AddRecipient(string group_id, string member_id, CurrentUser current, ChannelService channels,
        CancellationToken cancellationToken)
    {
        await channels.AddRecipientAsync(current.User, group_id, member_id, cancellationToken);
        return TypedResults.NoContent();
    }

    public static async Task<NoContent> RemoveRecipient(string target, string member, CurrentUser current, ChannelService channels,
        CancellationToken cancellationToken)
    {
        await channels.RemoveRecipientAsync(current.User, target, member, cancellationToken);
        return TypedResults.NoContent();
    }

    public static async Task<Ok<Invite>> CreateInvite(string target, CurrentUser current, InviteService invites, CancellationToken cancellationToken) =>
        TypedResults.Ok(await invites.CreateAsync(current.User, target, cancellationToken));

    public static async Task<Ok<Channel>> SetDefaultPermissions(string target, DefaultChannelPermissionsRequest request, CurrentUser current,
        ChannelService channels, CancellationToken cancellationToken) =>
        TypedResults.Ok(await channels.SetDefaultPermissionsAsync(current.User, target, request, cancellationToken));

    public static async Task<Ok<Channel>> SetRolePermissions(string target, string role_id, RolePermissionsRequest request, CurrentUser current,
        ChannelService channels, CancellationToken cancellationToken) =>
        TypedResults.Ok(await channels.SetRolePermissionsAsync(current.User, target, role_id, request, cancellationToken));
}
