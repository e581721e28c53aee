using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Spokes.Api.Errors;
using Spokes.Api.Identity;
using Spokes.Api.Messaging;
using Spokes.Api.Models;
using Spokes.Api.Storage;

namespace Spokes.Api.Apis;

/// <summary>Stoat's webhook routes, mounted only with <c>Api:WebhooksEnabled</c> (Stoat's <c>webhooks_enabled</c>).</summary>
public static class WebhooksApi
{
    public static IEndpointRouteBuilder MapWebhooksApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/channels/{target}/webhooks", Create).WithName("webhook_create_create_webhook").WithSummary("Creates a webhook").WithTags("Webhooks");
        app.MapGet("/channels/{channel_id}/webhooks", List).WithName("webhook_fetch_all_fetch_webhooks").WithSummary("Gets all webhooks").WithTags("Webhooks");
        var webhooks = app.MapGroup("/webhooks/{webhook_id}").WithTags("Webhooks");
        webhooks.MapGet("", Fetch).WithName("webhook_fetch_webhook_fetch").WithSummary("Gets a webhook");
        webhooks.MapPatch("", Edit).WithName("webhook_edit_webhook_edit").WithSummary("Edits a webhook");
        webhooks.MapDelete("", Delete).WithName("webhook_delete_webhook_delete").WithSummary("Deletes a webhook");
        webhooks.MapGet("/{token}", FetchWithToken).WithName("webhook_fetch_token_webhook_fetch_token").WithSummary("Gets a webhook");
        webhooks.MapPatch("/{token}", EditWithToken).WithName("webhook_edit_token_webhook_edit_token").WithSummary("Edits a webhook");
        webhooks.MapDelete("/{token}", DeleteWithToken).WithName("webhook_delete_token_webhook_delete_token").WithSummary("Deletes a webhook");
        webhooks.MapPost("/{token}", Execute).WithName("webhook_execute_webhook_execute").WithSummary("Executes a webhook");
        webhooks.MapPost("/{token}/github", ExecuteGitHub).WithName("webhook_execute_github_webhook_execute_github")
            .WithSummary("Executes a webhook specific to github");
        webhooks.MapPatch("/{token}/{message_id}", EditMessage).WithName("webhook_edit_message").WithSummary("Edits a message sent by a webhook");
        webhooks.MapDelete("/{token}/{message_id}", DeleteMessage).WithName("webhook_delete_message").WithSummary("Deletes a message sent by a webhook");
        return app;
    }

    public static async Task<Ok<Webhook>> Create(string target, CreateWebhookRequest request, CurrentUser current, WebhookService webhooks,
        CancellationToken cancellationToken) =>
        TypedResults.Ok(await webhooks.CreateAsync(current.User, target, request, cancellationToken));

    public static async Task<Ok<IReadOnlyList<Webhook>>> List(string channel_id, CurrentUser current, WebhookService webhooks, CancellationToken cancellationToken) =>
        TypedResults.Ok(await webhooks.ListAsync(current.User, channel_id, cancellationToken));

    public static async Task<Ok<WebhookResponse>> Fetch(string webhook_id, CurrentUser current, WebhookService webhooks, CancellationToken cancellationToken) =>
        TypedResults.Ok(await webhooks.FetchAsync(current.User, webhook_id, cancellationToken));

    public static async Task<Ok<Webhook>> Edit(string webhook_id, EditWebhookRequest request, CurrentUser current, WebhookService webhooks,
        CancellationToken cancellationToken) =>
        TypedResults.Ok(await webhooks.EditAsync(current.User, webhook_id, request, cancellationToken));

    public static async Task<NoContent> Delete(string webhook_id, CurrentUser current, WebhookService webhooks, CancellationToken cancellationToken)
    {
        await webhooks.DeleteAsync(current.User, webhook_id, cancellationToken);
        return TypedResults.NoContent();
    }

    public static async Task<Ok<Webhook>> FetchWithToken(string webhook_id, string token, WebhookService webhooks, CancellationToken cancellationToken) =>
        TypedResults.Ok(await webhooks.FetchWithTokenAsync(webhook_id, token, cancellationToken));

    public static async Task<Ok<Webhook>> EditWithToken(string webhook_id, string token, EditWebhookRequest request, WebhookService webhooks,
        CancellationToken cancellationToken) =>
        TypedResults.Ok(await webhooks.EditWithTokenAsync(webhook_id, token, request, cancellationToken));

    public static async Task<NoContent> DeleteWithToken(string webhook_id, string token, WebhookService webhooks, CancellationToken cancellationToken)
    {
        await webhooks.DeleteWithTokenAsync(webhook_id, token, cancellationToken);
        return TypedResults.NoContent();
    }

    public static async Task<Ok<Message>> Execute(string webhook_id, string token, SendMessageRequest request,
        [FromHeader(Name = "Idempotency-Key")] string? idempotencyKey, WebhookService webhooks, CancellationToken cancellationToken) =>
        TypedResults.Ok(await webhooks.ExecuteAsync(webhook_id, token, request, idempotencyKey, cancellationToken));

    /// <summary>GitHub names the event in a header and sends its payload as the body, read as text up to Stoat's 5 MB.</summary>
    public static async Task<Ok> ExecuteGitHub(string webhook_id, string token, HttpRequest request, WebhookService webhooks, CancellationToken cancellationToken)
    {
        if (request.Headers[GitHubEventHeader].ToString() is not { Length: > 0 } eventName) throw StoatException.InvalidOperation();
        await webhooks.ExecuteGitHubAsync(webhook_id, token, eventName, await ReadTextAsync(request, GitHubPayloadLimit, cancellationToken), cancellationToken);
        return TypedResults.Ok();
    }

    private const string GitHubEventHeader = "X-GitHub-Event";
    private const int GitHubPayloadLimit = 5 * 1000 * 1000;

    private static async Task<string> ReadTextAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength > limit) throw StoatException.PayloadTooLarge();
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > limit) throw StoatException.PayloadTooLarge();
            buffer.Write(chunk, 0, read);
        }
        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    public static async Task<Ok<Message>> EditMessage(string webhook_id, string token, string message_id, EditMessageRequest request, WebhookService webhooks,
        CancellationToken cancellationToken) =>
        TypedResults.Ok(await webhooks.EditMessageAsync(webhook_id, token, message_id, request, cancellationToken));

    public static async Task<NoContent> DeleteMessage(string webhook_id, string token, string message_id, WebhookService webhooks,
        CancellationToken cancellationToken)
    {
        await webhooks.DeleteMessageAsync(webhook_id, token, message_id, cancellationToken);
        return TypedResults.NoContent();
    }
}
