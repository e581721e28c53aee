using Microsoft.AspNetCore.Http.HttpResults;
using Spokes.Api.Identity;
using Spokes.Api.Messaging;
using Spokes.Api.Models;
using Spokes.Api.Storage;

namespace Spokes.Api.Apis;

/// <summary>Stoat's <c>/sync</c> routes: unreads and client settings that follow the user.</summary>
public static class SyncApi
{
    public static IEndpointRouteBuilder MapSyncApi(this IEndpointRouteBuilder app)
    {
        var sync = app.MapGroup("/sync").WithTags("Sync");
        sync.MapPost("/settings/fetch", FetchSettings).WithName("get_settings_fetch").WithSummary("Fetch Settings");
        sync.MapPost("/settings/set", SetSettings).WithName("set_settings_set").WithSummary("Set Settings");
        sync.MapGet("/unreads", Unreads).WithName("get_unreads_unreads").WithSummary("Fetch Unreads");
        return app;
    }

    public static async Task<Ok<Dictionary<string, object[]>>> FetchSettings(FetchSettingsRequest request, CurrentUser current, SyncService sync,
        CancellationToken cancellationToken) =>
        TypedResults.Ok(await sync.FetchSettingsAsync(current.Human, request.Keys, cancellationToken));

    public static async Task<NoContent> SetSettings(long? timestamp, Dictionary<string, string> values, CurrentUser current, SyncService sync,
        CancellationToken cancellationToken)
    {
        await sync.SetSettingsAsync(current.Human, timestamp, values, cancellationToken);
        return TypedResults.NoContent();
    }

    public static async Task<Ok<IReadOnlyList<ChannelUnread>>> Unreads(CurrentUser current, SyncService sync, CancellationToken cancellationToken) =>
        TypedResults.Ok(await sync.UnreadsAsync(current.Human, cancellationToken));
}
