using Microsoft.AspNetCore.Http.HttpResults;
using Spokes.Api.Identity;
using Spokes.Api.Models;
using Spokes.Api.Storage;

namespace Spokes.Api.Apis;

/// <summary>Stoat's <c>/push</c> routes: each session keeps at most one subscription, which Pushd delivers to.</summary>
public static class PushApi
{
    public static IEndpointRouteBuilder MapPushApi(this IEndpointRouteBuilder app)
    {
        var push = app.MapGroup("/push").WithTags("Web Push");
        push.MapPost("/subscribe", Subscribe).WithName("subscribe_subscribe").WithSummary("Push Subscribe");
        push.MapPost("/unsubscribe", Unsubscribe).WithName("unsubscribe_unsubscribe").WithSummary("Unsubscribe");
        return app;
    }

    /// <summary>Replaces the session's subscription, if it had one.</summary>
    public static async Task<NoContent> Subscribe(PushSubscriptionRequest request, CurrentSession current, ISessionStore sessions,
        CancellationToken cancellationToken)
    {
        var subscription = PushSubscriptionRules.Validate(request);
        if (!await sessions.SetSubscriptionAsync(current.Session.UserId, current.Session.Id, subscription, cancellationToken))
            throw Errors.StoatException.InvalidSession();
        return TypedResults.NoContent();
    }

    public static async Task<NoContent> Unsubscribe(CurrentSession current, ISessionStore sessions, CancellationToken cancellationToken)
    {
        if (!await sessions.SetSubscriptionAsync(current.Session.UserId, current.Session.Id, null, cancellationToken))
            throw Errors.StoatException.InvalidSession();
        return TypedResults.NoContent();
    }
}
