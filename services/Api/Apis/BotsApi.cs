using Microsoft.AspNetCore.Http.HttpResults;
using Spokes.Api.Bots;
using Spokes.Api.Identity;
using Spokes.Api.Models;
using Spokes.Api.Storage;

namespace Spokes.Api.Apis;

/// <summary>Stoat's <c>/bots</c> routes. Bots act everywhere else with <c>X-Bot-Token</c> (see <see cref="CurrentUser"/>).</summary>
public static class BotsApi
{
    public static IEndpointRouteBuilder MapBotsApi(this IEndpointRouteBuilder app)
    {
        var bots = app.MapGroup("/bots").WithTags("Bots");
        bots.MapPost("/create", Create).WithName("create_create_bot").WithSummary("Create Bot");
        bots.MapGet("/@me", ListOwned).WithName("fetch_owned_fetch_owned_bots").WithSummary("Fetch Owned Bots");
        bots.MapGet("/{bot}", Fetch).WithName("fetch_fetch_bot").WithSummary("Fetch Bot");
        bots.MapPatch("/{target}", Edit).WithName("edit_edit_bot").WithSummary("Edit Bot");
        bots.MapDelete("/{target}", Delete).WithName("delete_delete_bot").WithSummary("Delete Bot");
        bots.MapGet("/{target}/invite", FetchPublic).WithName("fetch_public_fetch_public_bot").WithSummary("Fetch Public Bot");
        bots.MapPost("/{target}/invite", Invite).WithName("invite_invite_bot").WithSummary("Invite Bot");
        return app;
    }

    public static async Task<Ok<BotWithUserResponse>> Create(CreateBotRequest request, CurrentUser current, BotService bots, CancellationToken cancellationToken) =>
        TypedResults.Ok(await bots.CreateAsync(current.Human, request, cancellationToken));

    public static async Task<Ok<OwnedBotsResponse>> ListOwned(CurrentUser current, BotService bots, CancellationToken cancellationToken) =>
        TypedResults.Ok(await bots.ListOwnedAsync(current.Human, cancellationToken));

    public static async Task<Ok<FetchBotResponse>> Fetch(string bot, CurrentUser current, BotService bots, CancellationToken cancellationToken) =>
        TypedResults.Ok(await bots.FetchAsync(current.Human, bot, cancellationToken));

    public static async Task<Ok<BotWithUserResponse>> Edit(string target, EditBotRequest request, CurrentUser current, BotService bots, CancellationToken cancellationToken) =>
        TypedResults.Ok(await bots.EditAsync(current.Human, target, request, cancellationToken));

    public static async Task<NoContent> Delete(string target, CurrentUser current, BotService bots, CancellationToken cancellationToken)
    {
        await bots.DeleteAsync(current.Human, target, cancellationToken);
        return TypedResults.NoContent();
    }

    public static async Task<Ok<PublicBotResponse>> FetchPublic(string target, CurrentUser current, BotService bots, CancellationToken cancellationToken) =>
        TypedResults.Ok(await bots.FetchPublicAsync(current.User, target, cancellationToken));

    public static async Task<NoContent> Invite(string target, InviteBotRequest request, CurrentUser current, BotService bots, CancellationToken cancellationToken)
    {
        await bots.InviteAsync(current.Human, target, request, cancellationToken);
        return TypedResults.NoContent();
    }
}
