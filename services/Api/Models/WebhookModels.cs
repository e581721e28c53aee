using Spokes.Api.Storage;

namespace Spokes.Api.Models;

public sealed record CreateWebhookRequest(string? Name, string? Avatar);

public sealed record EditWebhookRequest(string? Name, string? Avatar, ulong? Permissions, List<string>? Remove);

/// <summary>Stoat's <c>ResponseWebhook</c>: a webhook as those who manage the channel see it, without its token.</summary>
public sealed record WebhookResponse(string Id, string Name, AutumnFile? Avatar, string ChannelId, ulong Permissions)
{
    public static WebhookResponse Of(Webhook webhook) => new(webhook.Id, webhook.Name, webhook.Avatar, webhook.ChannelId, webhook.Permissions);
}
