using Microsoft.AspNetCore.Http.HttpResults;
using Spokes.Api.Community;
using Spokes.Api.Identity;
using Spokes.Api.Models;
using Spokes.Api.Storage;
using Spokes.Api.Users;

namespace Spokes.Api.Apis;

/// <summary>Stoat's <c>/users</c> routes.</summary>
public static class UsersApi
{
    public static IEndpointRouteBuilder MapUsersApi(this IEndpointRouteBuilder app)
    {
        var users = app.MapGroup("/users").WithTags("User Information");
        users.MapGet("/@me", FetchSelf).WithName("fetch_self_fetch").WithSummary("Fetch Self");
        users.MapGet("/{target}", FetchUser).WithName("fetch_user_fetch").WithSummary("Fetch User");
        users.MapPatch("/{target}", EditUser).WithName("edit_user_edit").WithSummary("Edit User");
        users.MapGet("/{target}/profile", FetchProfile).WithName("fetch_profile_profile").WithSummary("Fetch User Profile");
        users.MapPatch("/@me/username", ChangeUsername).WithName("change_username_change_username").WithSummary("Change Username");
        users.MapGet("/{target}/mutual", FetchMutual).WithName("find_mutual_mutual").WithSummary("Fetch Mutual Friends, Servers, Groups and DMs");
        users.MapGet("/{target}/default_avatar", FetchDefaultAvatar).WithName("get_default_avatar_default_avatar").WithSummary("Fetch Default Avatar");
        users.MapGet("/{target}/flags", FetchFlags).WithName("fetch_user_flags_fetch_user_flags").WithSummary("Fetch User Flags");

        var directMessages = app.MapGroup("/users").WithTags("Direct Messaging");
        directMessages.MapGet("/dms", FetchDirectMessages).WithName("fetch_dms_direct_messages").WithSummary("Fetch Direct Message Channels");
        directMessages.MapGet("/{target}/dm", OpenDirectMessage).WithName("open_dm_open_dm").WithSummary("Open Direct Message");

        var relationships = app.MapGroup("/users").WithTags("Relationships");
        relationships.MapPost("/friend", SendFriendRequest).WithName("send_friend_request_send_friend_request").WithSummary("Send Friend Request");
        relationships.MapPut("/{target}/friend", AcceptFriendRequest).WithName("add_friend_add").WithSummary("Accept Friend Request");
        relationships.MapDelete("/{target}/friend", RemoveFriend).WithName("remove_friend_remove").WithSummary("Deny Friend Request / Remove Friend");
        relationships.MapPut("/{target}/block", BlockUser).WithName("block_user_block").WithSummary("Block User");
        relationships.MapDelete("/{target}/block", UnblockUser).WithName("unblock_user_unblock").WithSummary("Unblock User");
        return app;
    }

    /// <summary>Needs no session, as in Stoat: the picture depends on nothing but the id, so caches may keep it for good.</summary>
    public static FileContentHttpResult FetchDefaultAvatar(string target, HttpContext context)
    {
        if (target.Length is 0 or > 64) throw Errors.StoatException.FailedValidation("target must be 1–64 characters");
        context.Response.Headers.CacheControl = "public, max-age=31536000, immutable";
        return TypedResults.File(DefaultAvatar.Png(target), "image/png");
    }

    public static async Task<Ok<UserResponse>> FetchSelf(CurrentUser current, PresenceReader presence) =>
        TypedResults.Ok(UserResponse.Self(current.User, await presence.IsConnectedAsync(current.User.Id)));

    public static async Task<Ok<UserResponse>> FetchUser(string target, CurrentUser current, RelationshipService relationships, CancellationToken cancellationToken) =>
        TypedResults.Ok(await relationships.FetchAsync(current.User, target, cancellationToken));

    public static async Task<Ok<UserResponse>> EditUser(string target, EditUserRequest request, CurrentUser current, ProfileService profiles,
        CancellationToken cancellationToken) =>
        TypedResults.Ok(await profiles.EditAsync(current.User, target, request, cancellationToken));

    public static async Task<Ok<UserResponse>> ChangeUsername(ChangeUsernameRequest request, CurrentUser current, ProfileService profiles,
        CancellationToken cancellationToken) =>
        TypedResults.Ok(await profiles.ChangeUsernameAsync(current.User, request, cancellationToken));

    public static async Task<Ok<MutualResponse>> FetchMutual(string target, CurrentUser current, RelationshipService relationships,
        CancellationToken cancellationToken) =>
        TypedResults.Ok(await relationships.FetchMutualAsync(current.User, target, cancellationToken));

    public static async Task<Ok<ProfileResponse>> FetchProfile(string target, CurrentUser current, RelationshipService relationships,
        CancellationToken cancellationToken) =>
        TypedResults.Ok(await relationships.FetchProfileAsync(current.User, target, cancellationToken));

    /// <summary>Public, as in Stoat: flags (suspended, deleted …) tell clients how to show a user; an unknown user has none.</summary>
    public static async Task<Ok<FlagResponse>> FetchFlags(string target, IUserStore users, CancellationToken cancellationToken) =>
        TypedResults.Ok(new FlagResponse((await users.GetAsync(target, cancellationToken))?.Flags ?? 0));

    public static async Task<Ok<IReadOnlyList<Channel>>> FetchDirectMessages(CurrentUser current, ChannelService channels, CancellationToken cancellationToken) =>
        TypedResults.Ok(await channels.DirectMessagesAsync(current.User, cancellationToken));

    public static async Task<Ok<Channel>> OpenDirectMessage(string target, CurrentUser current, ChannelService channels, CancellationToken cancellationToken) =>
        TypedResults.Ok(await channels.OpenDirectMessageAsync(current.User, target, cancellationToken));

    public static async Task<Ok<UserResponse>> SendFriendRequest(FriendRequest request, CurrentUser current, RelationshipService relationships,
        CancellationToken cancellationToken) =>
        TypedResults.Ok(await relationships.AddFriendAsync(current.Human, request.Username, cancellationToken));

    public static async Task<Ok<UserResponse>> AcceptFriendRequest(string target, CurrentUser current, RelationshipService relationships,
        CancellationToken cancellationToken) =>
        TypedResults.Ok(await relationships.AcceptFriendAsync(current.Human, target, cancellationToken));

    public static async Task<Ok<UserResponse>> RemoveFriend(string target, CurrentUser current, RelationshipService relationships,
        CancellationToken cancellationToken) =>
        TypedResults.Ok(await relationships.RemoveFriendAsync(current.User, target, cancellationToken));

    public static async Task<Ok<UserResponse>> BlockUser(string target, CurrentUser current, RelationshipService relationships,
        CancellationToken cancellationToken) =>
        TypedResults.Ok(await relationships.BlockAsync(current.User, target, cancellationToken));

    public static async Task<Ok<UserResponse>> UnblockUser(string target, CurrentUser current, RelationshipService relationships,
        CancellationToken cancellationToken) =>
        TypedResults.Ok(await relationships.UnblockAsync(current.User, target, cancellationToken));
}
