using Microsoft.AspNetCore.Http.HttpResults;
using Spokes.Api.Identity;

namespace Spokes.Api.Voice;

/// <summary>Stoat's voice route, <c>POST /channels/{target}/join_call</c> (tag Voice).</summary>
public static class VoiceApi
{
    public static IEndpointRouteBuilder MapVoiceApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/channels/{target}/join_call", JoinCall).WithName("voice_join_call").WithSummary("Join Call").WithTags("Voice");
        return app;
    }

    public static async Task<Ok<JoinCallResponse>> JoinCall(string target, JoinCallRequest request, CurrentUser current, CallService calls,
        CancellationToken cancellationToken) =>
        TypedResults.Ok(await calls.JoinAsync(current.User, target, request, cancellationToken));
}
