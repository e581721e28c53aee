using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Spokes.Api.Identity;
using Spokes.Api.Messaging;
using Spokes.Api.Models;
using Spokes.Api.Storage;

namespace Spokes.Api.Apis;

/// <summary>Stoat's message routes under <c>/channels/{target}</c>.</summary>
public static class MessagesApi
{
    public static IEndpointRouteBuilder MapMessagesApi(this IEndpointRouteBuilder app)
    {
        var channels = app.MapGroup("/channels/{target}").WithTags("Messaging");
        channels.MapPost("/messages", Send).WithName("message_send_message_send").WithSummary("Send Message");
        channels.MapGet("/messages", Query).WithName("message_query_query").WithSummary("Fetch Messages");
        channels.MapPost("/search", Search).WithName("message_search_search").WithSummary("Search for Messages");
        channels.MapDelete("/messages/bulk", BulkDelete).WithName("message_bulk_delete_bulk_delete_messages").WithSummary("Bulk Delete Messages");
        channels.MapGet("/messages/{msg}", Fetch).WithName("message_fetch_fetch").WithSummary("Fetch Message");
        channels.MapPatch("/messages/{msg}", Edit).WithName("message_edit_edit").WithSummary("Edit Message");
        channels.MapDelete("/messages/{msg}", Delete).WithName("message_delete_delete").WithSummary("Delete Message");
        channels.MapPost("/messages/{msg}/pin", Pin).WithName("message_pin_message_pin").WithSummary("Pins a message");
        channels.MapDelete("/messages/{msg}/pin", Unpin).WithName("message_unpin_message_unpin").WithSummary("Unpins a message");
        channels.MapPut("/messages/{msg}/reactions/{emoji}", React).WithName("message_react_react_message").WithSummary("Add Reaction to Message")
            .WithTags("Interactions");
        channels.MapDelete("/messages/{msg}/reactions/{emoji}", Unreact).WithName("message_unreact_unreact_message")
            .WithSummary("Remove Reaction(s) to Message").WithTags("Interactions");
        channels.MapDelete("/messages/{msg}/reactions", ClearReactions).WithName("message_clear_reactions_clear_reactions")
            .WithSummary("Remove All Reactions from Message").WithTags("Interactions");
        channels.MapPut("/ack/{message}", Ack).WithName("channel_ack_ack").WithSummary("Acknowledge Message").WithTags("Channel Information");
        return app;
    }

    public static async Task<Ok<Message>> Send(string target, SendMessageRequest request, [FromHeader(Name = "Idempotency-Key")] string? idempotencyKey,
        CurrentUser current, MessageService messages, CancellationToken cancellationToken) =>
        TypedResults.Ok(await messages.SendAsync(current.User, target, request, idempotencyKey, cancellationToken));

    public static Task<IResult> Query(string target, long? limit, string? before, string? after, string? sort, string? nearby,
        [FromQuery(Name = "include_users")] bool? includeUsers, CurrentUser current, MessageService messages, CancellationToken cancellationToken) =>
        messages.QueryAsync(current.User, target, limit, before, after, sort, nearby, includeUsers == true, cancellationToken);

    public static Task<IResult> Search(string target, SearchMessagesRequest request, CurrentUser current, MessageService messages,
        CancellationToken cancellationToken) =>
        messages.SearchAsync(current.User, target, request, cancellationToken);

    public static async Task<Ok<Message>> Fetch(string target, string msg, CurrentUser current, MessageService messages, CancellationToken cancellationToken) =>
        TypedResults.Ok(await messages.FetchAsync(current.User, target, msg, cancellationToken));

    public static async Task<Ok<Message>> Edit(string target, string msg, EditMessageRequest request, CurrentUser current, MessageService messages,
        CancellationToken cancellationToken) =>
        TypedResults.Ok(await messages.EditAsync(current.User, target, msg, request, cancellationToken));

    public static async Task<NoContent> Delete(string target, string msg, CurrentUser current, MessageService messages, CancellationToken cancellationToken)
    {
        await messages.DeleteAsync(current.User, target, msg, cancellationToken);
        return TypedResults.NoContent();
    }

    public static async Task<NoContent> BulkDelete(string target, [FromBody] BulkDeleteRequest request, CurrentUser current, MessageService messages,
        CancellationToken cancellationToken)
    {
        await messages.BulkDeleteAsync(current.User, target, request, cancellationToken);
        return TypedResults.NoContent();
    }

    public static async Task<NoContent> Pin(string target, string msg, CurrentUser current, MessageService messages, CancellationToken cancellationToken)
    {
        await messages.PinAsync(current.User, target, msg, pinned: true, cancellationToken);
        return TypedResults.NoContent();
    }

    public static async Task<NoContent> Unpin(string target, string msg, CurrentUser current, MessageService messages, CancellationToken cancellationToken)
    {
        await messages.PinAsync(current.User, target, msg, pinned: false, cancellationToken);
        return TypedResults.NoContent();
    }

    public static async Task<NoContent> React(string target, string msg, string emoji, CurrentUser current, MessageService messages,
        CancellationToken cancellationToken)
    {
        await messages.ReactAsync(current.User, target, msg, emoji, cancellationToken);
        return TypedResults.NoContent();
    }

    public static async Task<NoContent> Unreact(string target, string msg, string emoji, [FromQuery(Name = "user_id")] string? userId,
        [FromQuery(Name = "remove_all")] bool? removeAll, CurrentUser current, MessageService messages, CancellationToken cancellationToken)
    {
        await messages.UnreactAsync(current.User, target, msg, emoji, userId, removeAll == true, cancellationToken);
        return TypedResults.NoContent();
    }

    public static async Task<NoContent> ClearReactions(string target, string msg, CurrentUser current, MessageService messages,
        CancellationToken cancellationToken)
    {
        await messages.ClearReactionsAsync(current.User, target, msg, cancellationToken);
        return TypedResults.NoContent();
    }

    public static async Task<NoContent> Ack(string target, string message, CurrentUser current, SyncService sync, CancellationToken cancellationToken)
    {
        await sync.AckChannelAsync(current.User, target, message, cancellationToken);
        return TypedResults.NoContent();
    }
}
