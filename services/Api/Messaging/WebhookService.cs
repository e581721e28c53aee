using System.Security.Cryptography;
using System.Text;
using Spokes.Api.Community;
using Spokes.Api.Errors;
using Spokes.Api.Events;
using Spokes.Api.Identity;
using Spokes.Api.Models;
using Spokes.Api.Storage;
using Spokes.Permissions;

namespace Spokes.Api.Messaging;

/// <summary>Stoat's webhooks: made by those who may manage a channel's webhooks, used by anyone holding the token.</summary>
public sealed class WebhookService(CommunityAccess access, IWebhookStore webhooks, MessageService messages, EventPublisher events)
{
    private static readonly string[] RemovableFields = ["Avatar"];

    public async Task<Webhook> CreateAsync(User actor, string channelId, CreateWebhookRequest request, CancellationToken cancellationToken)
    {
        var at = (await access.InChannelAsync(actor, channelId, cancellationToken)).Require(ChannelPermission.ManageWebhooks);
        if (at.Channel is not (TextChannel or Group)) throw StoatException.InvalidOperation();
        var name = Validation.Required(request.Name, "name", 1, 32);
        // Avatars are files claimed from Autumn, which holds none yet.
        if (request.Avatar is not null) throw StoatException.UnknownAttachment();
        var webhook = new Webhook(SecureTokens.NewId(), name, null, actor.Id, channelId, (ulong)DefaultPermissions.Webhook, SecureTokens.NewToken());
        await webhooks.CreateAsync(webhook, cancellationToken);
        await events.PublishAsync(channelId, new WebhookCreateEvent(webhook));
        return webhook;
    }

    public async Task<IReadOnlyList<Webhook>> ListAsync(User actor, string channelId, CancellationToken cancellationToken)
    {
        (await access.InChannelAsync(actor, channelId, cancellationToken)).Require(ChannelPermission.ManageWebhooks);
        return await webhooks.ListByChannelAsync(channelId, cancellationToken);
    }

    public async Task<WebhookResponse> FetchAsync(User actor, string webhookId, CancellationToken cancellationToken) =>
        WebhookResponse.Of(await ManagedAsync(actor, webhookId, cancellationToken));

    public Task<Webhook> FetchWithTokenAsync(string webhookId, string token, CancellationToken cancellationToken) =>
        WithTokenAsync(webhookId, token, cancellationToken);

    public async Task<Webhook> EditAsync(User actor, string webhookId, EditWebhookRequest request, CancellationToken cancellationToken) =>
        await EditAsync(await ManagedAsync(actor, webhookId, cancellationToken), request, cancellationToken);

    public async Task<Webhook> EditWithTokenAsync(string webhookId, string token, EditWebhookRequest request, CancellationToken cancellationToken) =>
        await EditAsync(await WithTokenAsync(webhookId, token, cancellationToken), request, cancellationToken);

    public async Task DeleteAsync(User actor, string webhookId, CancellationToken cancellationToken) =>
        await DeleteAsync(await ManagedAsync(actor, webhookId, cancellationToken), cancellationToken);

    public async Task DeleteWithTokenAsync(string webhookId, string token, CancellationToken cancellationToken) =>
        await DeleteAsync(await WithTokenAsync(webhookId, token, cancellationToken), cancellationToken);

    public async Task<Message> ExecuteAsync(string webhookId, string token, SendMessageRequest request, string? idempotencyKey, CancellationToken cancellationToken) =>
        await messages.SendAsWebhookAsync(await WithTokenAsync(webhookId, token, cancellationToken), request, idempotencyKey, cancellationToken);

    public async Task<Message> EditMessageAsync(string webhookId, string token, string messageId, EditMessageRequest request, CancellationToken cancellationToken) =>
        await messages.EditAsWebhookAsync(await WithTokenAsync(webhookId, token, cancellationToken), messageId, request, cancellationToken);

    public async Task DeleteMessageAsync(string webhookId, string token, string messageId, CancellationToken cancellationToken) =>
        await messages.DeleteAsWebhookAsync(await WithTokenAsync(webhookId, token, cancellationToken), messageId, cancellationToken);

    private async Task<Webhook> EditAsync(Webhook webhook, EditWebhookRequest request, CancellationToken cancellationToken)
    {
        var remove = Validation.Removals(request.Remove, RemovableFields);
        Validation.Length(request.Name, "name", 1, 32);
        if (request.Avatar is not null) throw StoatException.UnknownAttachment();
        var data = new Dictionary<string, object?>();
        var edited = webhook with { Avatar = remove.Contains("Avatar") ? null : webhook.Avatar };
        if (request.Name is { } name) data["name"] = (edited = edited with { Name = name }).Name;
        if (request.Permissions is { } permissions) data["permissions"] = (edited = edited with { Permissions = permissions }).Permissions;
        if (data.Count > 0 || remove.Count > 0)
        {
            await webhooks.UpdateAsync(edited, cancellationToken);
            await events.PublishAsync(webhook.ChannelId, new WebhookUpdateEvent(webhook.Id, data, remove));
        }
        return edited;
    }

    private async Task DeleteAsync(Webhook webhook, CancellationToken cancellationToken)
    {
        await webhooks.DeleteAsync(webhook.Id, cancellationToken);
        await events.PublishAsync(webhook.ChannelId, new WebhookDeleteEvent(webhook.Id));
    }

    private async Task<Webhook> ManagedAsync(User actor, string webhookId, CancellationToken cancellationToken)
    {
        var webhook = await webhooks.GetAsync(webhookId, cancellationToken) ?? throw StoatException.NotFound();
        (await access.InChannelAsync(actor, webhook.ChannelId, cancellationToken)).Require(ChannelPermission.ManageWebhooks);
        return webhook;
    }

    /// <summary>The token is compared in constant time, so its bytes cannot be guessed one by one from response times.</summary>
    private async Task<Webhook> WithTokenAsync(string webhookId, string token, CancellationToken cancellationToken)
    {
        var webhook = await webhooks.GetAsync(webhookId, cancellationToken);
        if (webhook is null || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(webhook.Token), Encoding.UTF8.GetBytes(token)))
            throw StoatException.NotAuthenticated();
        return webhook;
    }
}
