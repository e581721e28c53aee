using Microsoft.AspNetCore.Http.HttpResults;
using Spokes.Api.Community;
using Spokes.Api.Identity;
using Spokes.Api.Models;

namespace Spokes.Api.Apis;

/// <summary>Stoat's <c>/invites</c> routes. Looking at an invite needs no session, so it can be shown before sign-up.</summary>
public static class InvitesApi
{
    public static IEndpointRouteBuilder MapInvitesApi(this IEndpointRouteBuilder app)
    {
        var invites = app.MapGroup("/invites").WithTags("Invites");
        invites.MapGet("/{target}", FetchInvite).WithName("invite_fetch_fetch").WithSummary("Fetch Invite");
        invites.MapPost("/{target}", JoinInvite).WithName("invite_join_join").WithSummary("Join Invite");
        invites.MapDelete("/{target}", DeleteInvite).WithName("invite_delete_delete").WithSummary("Delete Invite");
        return app;
    }

    public static async Task<Ok<InviteResponse>> FetchInvite(string target, InviteService invites, CancellationToken cancellationToken) =>
        TypedResults.Ok(await invites.FetchAsync(target, cancellationToken));

    public static async Task<Ok<InviteJoinResponse>> JoinInvite(string target, CurrentUser current, InviteService invites, CancellationToken cancellationToken) =>
        TypedResults.Ok(await invites.JoinAsync(current.Human, target, cancellationToken));

    public static async Task<NoContent> DeleteInvite(string target, CurrentUser current, InviteService invites, CancellationToken cancellationToken)
    {
        await invites.DeleteAsync(current.User, target, cancellationToken);
        return TypedResults.NoContent();
    }
}
