using MassTransit;
using Microsoft.Extensions.Options;
using Spokes.Contracts.IntegrationEvents;
using Spokes.Contracts.Presence;
using Spokes.Contracts.Push.V1;
using Spokes.Contracts.Voice;
using Spokes.Pushd.Delivery;
using StackExchange.Redis;

namespace Spokes.Pushd.Notifications;

/// <summary>
/// A message's notification, as Stoat's <c>message_sent</c> and <c>mass_mention</c> consumers: the event's recipients
/// (the others in a DM or group, the users a server message mentions), then — in chunks, for server messages that
/// mention everyone or roles — the members the mass mention reaches who can see the channel and are offline.
/// Nobody is told of a message sent with <c>SuppressNotifications</c>, nor of their own.
/// </summary>
public sealed class MessageNotifier(
    NotificationRenderer renderer,
    PushDispatcher dispatcher,
    IDeliveryLedger ledger,
    PushTargets.PushTargetsClient api,
    IConnectionMultiplexer redis,
    IOptions<PushdOptions> options)
{
    public async Task NotifyAsync(MessageSent sent, CancellationToken cancellationToken)
    {
        if (sent.SuppressNotifications || sent.Kind == ConversationKind.SavedMessages) return;
        if (await ledger.IsCompleteAsync(sent.Id)) return;

        var notification = await renderer.RenderAsync(sent, cancellationToken);
        var mentioned = sent.Mentions.ToHashSet(StringComparer.Ordinal);
        var direct = sent.Recipients.Where(u => u != sent.AuthorId).ToList();
        await dispatcher.DeliverAsync(sent.Id, notification, direct,
            (user, settings) => settings.Notifies(sent.ChannelId, sent.ServerId, mentioned.Contains(user)), cancellationToken);

        if (sent.Kind == ConversationKind.Server && sent.ServerId is { } serverId && (sent.MentionsEveryone || sent.RoleMentions.Count > 0))
        {
            var already = direct.ToHashSet(StringComparer.Ordinal);
            already.Add(sent.AuthorId);
            var after = "";
            do
            {
                var request = new MassMentionedRequest
                {
                    ServerId = serverId, ChannelId = sent.ChannelId, Everyone = sent.MentionsEveryone, After = after, Limit = options.Value.ChunkSize,
                };
                request.RoleIds.AddRange(sent.RoleMentions);
                var page = await api.MassMentionedAsync(request, cancellationToken: cancellationToken);
                var offline = await OfflineAsync(page.UserIds.Where(u => !already.Contains(u)).ToList());
                await dispatcher.DeliverAsync(sent.Id, notification, offline, (_, settings) => settings.Notifies(sent.ChannelId, serverId, mentioned: true), cancellationToken);
                after = page.NextAfter;
            } while (after.Length > 0);
        }
        await ledger.CompleteAsync(sent.Id);
    }

    /// <summary>Stoat pushes a mass mention only to those not online: the others see it in their open client.</summary>
    private async Task<List<string>> OfflineAsync(List<string> userIds)
    {
        var database = redis.GetDatabase();
        var online = await Task.WhenAll(userIds.Select(u => database.KeyExistsAsync(PresenceKeys.User(u))));
        return userIds.Where((_, i) => !online[i]).ToList();
    }
}

public sealed class MessageSentConsumer(MessageNotifier notifier) : IConsumer<MessageSent>
{
    public Task Consume(ConsumeContext<MessageSent> context) => notifier.NotifyAsync(context.Message, context.CancellationToken);
}

public sealed class FriendRequestReceivedConsumer(NotificationRenderer renderer, PushDispatcher dispatcher) : IConsumer<FriendRequestReceived>
{
    public Task Consume(ConsumeContext<FriendRequestReceived> context) =>
        dispatcher.DeliverToUserOnceAsync(context.Message.Id, renderer.Render(context.Message), context.Message.UserId, context.CancellationToken);
}

public sealed class FriendRequestAcceptedConsumer(NotificationRenderer renderer, PushDispatcher dispatcher) : IConsumer<FriendRequestAccepted>
{
    public Task Consume(ConsumeContext<FriendRequestAccepted> context) =>
        dispatcher.DeliverToUserOnceAsync(context.Message.Id, renderer.Render(context.Message), context.Message.UserId, context.CancellationToken);
}

public sealed class NotificationRequestedConsumer(NotificationRenderer renderer, PushDispatcher dispatcher) : IConsumer<NotificationRequested>
{
    public Task Consume(ConsumeContext<NotificationRequested> context) =>
        dispatcher.DeliverToUserOnceAsync(context.Message.Id, renderer.Render(context.Message), context.Message.UserId, context.CancellationToken);
}

/// <summary>
/// A DM or group call rings its recipients' devices (Stoat's <c>dm_call</c> consumer), and stops ringing when the
/// caller ends the ring. The caller is never rung; a ring that arrives after it ran out (RabbitMQ was away) is not sent.
/// </summary>
public sealed class CallRinger(NotificationRenderer renderer, PushDispatcher dispatcher, TimeProvider clock)
{
    public async Task RingAsync(CallRing ring, CancellationToken cancellationToken)
    {
        if (clock.GetUtcNow() >= ring.ExpiresAt) return;
        var notification = await renderer.RenderAsync(ring, cancellationToken);
        await dispatcher.DeliverAsync(ring.Id, notification, ring.Recipients.Where(u => u != ring.CallerId).ToList(), null, cancellationToken);
    }

    public async Task StopAsync(CallRingEnded ended, CancellationToken cancellationToken)
    {
        var notification = await renderer.RenderAsync(ended, cancellationToken);
        await dispatcher.DeliverAsync(ended.Id, notification, ended.Recipients.Where(u => u != ended.CallerId).ToList(), null, cancellationToken);
    }
}

public sealed class CallRingConsumer(CallRinger ringer) : IConsumer<CallRing>, IConsumer<CallRingEnded>
{
    public Task Consume(ConsumeContext<CallRing> context) => ringer.RingAsync(context.Message, context.CancellationToken);

    public Task Consume(ConsumeContext<CallRingEnded> context) => ringer.StopAsync(context.Message, context.CancellationToken);
}
