using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Spokes.Api.Identity;

namespace Spokes.Api.Voice;

/// <summary>Stoat's voice routes, <c>POST /channels/{target}/join_call</c> and <c>PUT /channels/{target}/end_ring/{target_user}</c> (tag Voice).</summary>
public static class VoiceApi
{
    public static IEndpointRouteBuilder MapVoiceApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/channels/{target}/join_call", JoinCall).WithName("voice_join_call").WithSummary("Join Call").WithTags("Voice");
        app.MapPut("/channels/{target}/end_ring/{target_user}", StopRing).WithName("voice_stop_ring_stop_ring").WithSummary("Stop Ring").WithTags("Voice");
        return app;
    }

    public static async Task<Ok<JoinCallResponse>> JoinCall(string target, JoinCallRequest request, CurrentUser current, CallService calls,
        CancellationToken cancellationToken) =>
        TypedResults.Ok(await calls.JoinAsync(current.User, target, request, cancellationToken));

    public static async Task<NoContent> StopRing(string target, [FromRoute(Name = "target_user")] string targetUser, CurrentUser current,
        CallService calls, CancellationToken cancellationToken)
    {
        await calls.StopRingAsync(current.User, target, targetUser, cancellationToken);
        return TypedResults.NoContent();
    }
}
