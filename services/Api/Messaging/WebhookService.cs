using System.Security.Cryptography;
using System.Text;
using Spokes.Api.Community;
using Spokes.Api.Errors;
using Spokes.Api.Events;
using Spokes.Api.Files;
using Spokes.Api.Identity;
using Spokes.Api.Models;
using Spokes.Api.Storage;
using Spokes.Contracts.Files.V1;
using Spokes.Permissions;

namespace Spokes.Api.Messaging;

/// <summary>
/// Stoat's webhooks: made by those who may manage a channel's webhooks, used by anyone holding the token. Unlike
/// Stoat's, a webhook never holds more than its maker: an editor gives only permissions they hold in the channel,
/// the token alone can only take permissions away, and a post carries no more than the maker may still do there.
/// </summary>
public sealed class WebhookService(CommunityAccess access, IWebhookStore webhooks, IUserStore users, MessageService messages, EventPublisher events,
    IFileClaims files)
{
    private static readonly string[] RemovableFields = ["Avatar"];

    public async Task<Webhook> CreateAsync(User actor, string channelId, CreateWebhookRequest request, CancellationToken cancellationToken)
    {
        var at = (await access.InChannelAsync(actor, channelId, cancellationToken)).Require(ChannelPermission.ManageWebhooks);
        if (at.Channel is not (TextChannel or Group)) throw StoatException.InvalidOperation();
        var name = Validation.Required(request.Name, "name", 1, 32);
        var id = SecureTokens.NewId();
        var avatar = request.Avatar is { } avatarId ? await ClaimAvatarAsync(avatarId, actor.Id, id, cancellationToken) : null;
        var webhook = new Webhook(id, name, avatar, actor.Id, channelId, (ulong)DefaultPermissions.Webhook, SecureTokens.NewToken());
        await files.ReleaseIfFailsAsync(avatar is null ? [] : [avatar], async () =>
        {
            await webhooks.CreateAsync(webhook, cancellationToken);
            return webhook;
        });
        await events.PublishAsync(channelId, new WebhookCreateEvent(webhook));
        return webhook;
    }

    public async Task<IReadOnlyList<Webhook>> ListAsync(User actor, string channelId, CancellationToken cancellationToken)
    {
        (await access.InChannelAsync(actor, channelId, cancellationToken)).Require(ChannelPermission.ManageWebhooks);
        return await webhooks.ListByChannelAsync(channelId, cancellationToken);
    }

    public async Task<WebhookResponse> FetchAsync(User actor, string webhookId, CancellationToken cancellationToken) =>
        WebhookResponse.Of((await ManagedAsync(actor, webhookId, cancellationToken)).Webhook);

    public Task<Webhook> FetchWithTokenAsync(string webhookId, string token, CancellationToken cancellationToken) =>
        WithTokenAsync(webhookId, token, cancellationToken);

    public async Task<Webhook> EditAsync(User actor, string webhookId, EditWebhookRequest request, CancellationToken cancellationToken)
    {
        var (webhook, editor) = await ManagedAsync(actor, webhookId, cancellationToken);
        return await EditAsync(webhook, editor, actor.Id, request, cancellationToken);
    }

    /// <summary>The token holder may lower the webhook's permissions, never raise them: it holds no more than the webhook.</summary>
    public async Task<Webhook> EditWithTokenAsync(string webhookId, string token, EditWebhookRequest request, CancellationToken cancellationToken)
    {
        var webhook = await WithTokenAsync(webhookId, token, cancellationToken);
        return await EditAsync(webhook, (ChannelPermission)webhook.Permissions, webhook.CreatorId, request, cancellationToken);
    }

    public async Task DeleteAsync(User actor, string webhookId, CancellationToken cancellationToken) =>
        await DeleteAsync((await ManagedAsync(actor, webhookId, cancellationToken)).Webhook, cancellationToken);

    public async Task DeleteWithTokenAsync(string webhookId, string token, CancellationToken cancellationToken) =>
        await DeleteAsync(await WithTokenAsync(webhookId, token, cancellationToken), cancellationToken);

    public async Task<Message> ExecuteAsync(string webhookId, string token, SendMessageRequest request, string? idempotencyKey, CancellationToken cancellationToken) =>
        await messages.SendAsWebhookAsync(await ActingAsync(webhookId, token, cancellationToken), request, idempotencyKey, cancellationToken);

    /// <summary>
    /// Posts a GitHub event as an embed (<see cref="GitHubEventEmbed"/>); an event told with no message posts nothing.
    /// Unlike Stoat's, it posts only what the webhook may post, like any other use of its token.
    /// </summary>
    public async Task ExecuteGitHubAsync(string webhookId, string token, string eventName, string payload, CancellationToken cancellationToken)
    {
        var webhook = await ActingAsync(webhookId, token, cancellationToken);
        if (GitHubEventEmbed.From(eventName, payload) is not { } embed) return;
        await messages.SendAsWebhookAsync(webhook, new SendMessageRequest(null, null, null, null, [embed], null, null, null), null, cancellationToken);
    }

    public async Task<Message> EditMessageAsync(string webhookId, string token, string messageId, EditMessageRequest request, CancellationToken cancellationToken) =>
        await messages.EditAsWebhookAsync(await ActingAsync(webhookId, token, cancellationToken), messageId, request, cancellationToken);

    public async Task DeleteMessageAsync(string webhookId, string token, string messageId, CancellationToken cancellationToken) =>
        await messages.DeleteAsWebhookAsync(await WithTokenAsync(webhookId, token, cancellationToken), messageId, cancellationToken);

    /// <param name="held">What the editor holds: every permission newly given to the webhook must be among them.</param>
    /// <param name="uploaderId">Who uploaded a new avatar: the editing user, or the webhook's maker when its token edits it.</param>
    private async Task<Webhook> EditAsync(Webhook webhook, ChannelPermission held, string uploaderId, EditWebhookRequest request, CancellationToken cancellationToken)
    {
        var remove = Validation.Removals(request.Remove, RemovableFields);
        Validation.Length(request.Name, "name", 1, 32);
        if (request.Permissions is { } requested)
            PermissionCalculator.RequireCanGive(held, (ChannelPermission)webhook.Permissions, (ChannelPermission)requested);
        var data = new Dictionary<string, object?>();
        var edited = webhook with { Avatar = remove.Contains("Avatar") ? null : webhook.Avatar };
        if (request.Name is { } name) data["name"] = (edited = edited with { Name = name }).Name;
        if (request.Permissions is { } permissions) data["permissions"] = (edited = edited with { Permissions = permissions }).Permissions;
        if (request.Avatar is { } avatarId) data["avatar"] = (edited = edited with { Avatar = await ClaimAvatarAsync(avatarId, uploaderId, webhook.Id, cancellationToken) }).Avatar;
        if (data.Count > 0 || remove.Count > 0)
        {
            await files.ReleaseIfFailsAsync(request.Avatar is null ? [] : [edited.Avatar!], async () =>
            {
                await webhooks.UpdateAsync(edited, cancellationToken);
                return edited;
            });
            if (edited.Avatar != webhook.Avatar) await files.ReleaseAsync([webhook.Avatar], cancellationToken);
            await events.PublishAsync(webhook.ChannelId, new WebhookUpdateEvent(webhook.Id, data, remove));
        }
        return edited;
    }

    /// <summary>Claims a webhook's avatar: an image its uploader sent to Autumn under "avatars".</summary>
    private Task<AutumnFile> ClaimAvatarAsync(string fileId, string uploaderId, string webhookId, CancellationToken cancellationToken) =>
        files.ClaimOneAsync(fileId, FileTags.Avatars, uploaderId, new FileUse { Kind = FileUseKind.WebhookAvatar, Id = webhookId }, cancellationToken);

    private async Task DeleteAsync(Webhook webhook, CancellationToken cancellationToken)
    {
        await webhooks.DeleteAsync(webhook.Id, cancellationToken);
        await files.ReleaseAsync([webhook.Avatar], cancellationToken);
        await events.PublishAsync(webhook.ChannelId, new WebhookDeleteEvent(webhook.Id));
    }

    /// <summary>A webhook the actor may manage, and what the actor holds in its channel.</summary>
    private async Task<(Webhook Webhook, ChannelPermission Held)> ManagedAsync(User actor, string webhookId, CancellationToken cancellationToken)
    {
        var webhook = await webhooks.GetAsync(webhookId, cancellationToken) ?? throw StoatException.NotFound();
        var at = (await access.InChannelAsync(actor, webhook.ChannelId, cancellationToken)).Require(ChannelPermission.ManageWebhooks);
        return (webhook, at.Permissions);
    }

    /// <summary>
    /// The webhook as it acts: its permissions limited to what its maker may do in the channel now, so a maker
    /// who loses a permission, or leaves, takes it from the webhook too.
    /// </summary>
    private async Task<Webhook> ActingAsync(string webhookId, string token, CancellationToken cancellationToken)
    {
        var webhook = await WithTokenAsync(webhookId, token, cancellationToken);
        var maker = await users.GetAsync(webhook.CreatorId, cancellationToken);
        var makerHolds = maker is null ? ChannelPermission.None : (await access.InChannelAsync(maker, webhook.ChannelId, cancellationToken)).Permissions;
        return webhook with { Permissions = webhook.Permissions & (ulong)makerHolds };
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
