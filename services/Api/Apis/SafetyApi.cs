using Microsoft.AspNetCore.Http.HttpResults;
using Spokes.Api.Community;
using Spokes.Api.Identity;
using Spokes.Api.Messaging;
using Spokes.Api.Models;
using Spokes.Api.Storage;

namespace Spokes.Api.Apis;

/// <summary>Stoat's custom emoji, safety report and policy routes.</summary>
public static class SafetyApi
{
    public static IEndpointRouteBuilder MapSafetyApi(this IEndpointRouteBuilder app)
    {
        var emoji = app.MapGroup("/custom/emoji").WithTags("Emojis");
        emoji.MapPut("/{id}", CreateEmoji).WithName("emoji_create_create_emoji").WithSummary("Create New Emoji");
        emoji.MapGet("/{emoji_id}", FetchEmoji).WithName("emoji_fetch_fetch_emoji").WithSummary("Fetch Emoji");
        emoji.MapPatch("/{emoji_id}", EditEmoji).WithName("emoji_edit_edit_emoji").WithSummary("Edit Emoji");
        emoji.MapDelete("/{emoji_id}", DeleteEmoji).WithName("emoji_delete_delete_emoji").WithSummary("Delete Emoji");
        app.MapGet("/servers/{target}/emojis", ListEmojis).WithName("emoji_list_list_emoji").WithSummary("Fetch Server Emoji").WithTags("Server Customisation");
        app.MapPost("/safety/report", Report).WithName("report_content_report_content").WithSummary("Report Content").WithTags("User Safety");
        app.MapPost("/policy/acknowledge", AcknowledgePolicy).WithName("acknowledge_policy_changes_acknowledge_policy_changes")
            .WithSummary("Acknowledge Policy Changes").WithTags("Policy");
        return app;
    }

    public static async Task<Ok<Emoji>> CreateEmoji(string id, CreateEmojiRequest request, CurrentUser current, EmojiService emojis, CancellationToken cancellationToken) =>
        TypedResults.Ok(await emojis.CreateAsync(current.User, id, request, cancellationToken));

    public static async Task<Ok<Emoji>> FetchEmoji(string emoji_id, CurrentUser current, EmojiService emojis, CancellationToken cancellationToken) =>
        TypedResults.Ok(await emojis.FetchAsync(emoji_id, cancellationToken));

    public static async Task<Ok<Emoji>> EditEmoji(string emoji_id, EditEmojiRequest request, CurrentUser current, EmojiService emojis, CancellationToken cancellationToken) =>
        TypedResults.Ok(await emojis.EditAsync(current.User, emoji_id, request, cancellationToken));

    public static async Task<NoContent> DeleteEmoji(string emoji_id, CurrentUser current, EmojiService emojis, CancellationToken cancellationToken)
    {
        await emojis.DeleteAsync(current.User, emoji_id, cancellationToken);
        return TypedResults.NoContent();
    }

    public static async Task<Ok<IReadOnlyList<Emoji>>> ListEmojis(string target, CurrentUser current, EmojiService emojis, CancellationToken cancellationToken) =>
        TypedResults.Ok(await emojis.ListAsync(current.User, target, cancellationToken));

    public static async Task<NoContent> Report(ReportRequest request, CurrentUser current, SafetyService safety, CancellationToken cancellationToken)
    {
        await safety.ReportAsync(current.Human, request, cancellationToken);
        return TypedResults.NoContent();
    }

    /// <summary>
    /// Spokes publishes no policy changes yet, so every user is always up to date and there is nothing to
    /// record; the route answers as Stoat's does so clients that call it work.
    /// </summary>
    public static NoContent AcknowledgePolicy(CurrentUser current) => TypedResults.NoContent();
}
