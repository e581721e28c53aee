using Spokes.Api.Events;
using Spokes.Api.Identity;
using Spokes.Api.Models;
using Spokes.Api.Storage;
using Spokes.Contracts.IntegrationEvents;

namespace Spokes.Api.Messaging;

/// <summary>
/// Stores a message and tells everyone who needs to know: the channel's sockets (<c>Message</c>), the
/// mentioned users' unreads, and — through the outbox, in the same write — Pushd and January.
/// Every kind of message (users', bots', webhooks', system messages) is posted through here.
/// </summary>
public sealed class MessagePoster(IMessageStore messages, IUnreadStore unreads, IChannelStore channels, EventPublisher events, OutboxSignal outboxSignal,
    MassTransit.IPublishEndpoint bus, ILogger<MessagePoster> logger)
{
    public async Task PostAsync(Message message, Channel channel, string authorName, UserResponse? user, Member? member, CancellationToken cancellationToken)
    {
        if (channel is DirectMessage { Active: false } direct)
        {
            // A message reopens a closed DM for both sides.
            await channels.UpdateAsync(direct.Id, new FieldUpdate().Set("active", true), cancellationToken);
            await events.PublishAsync(direct.Id, new ChannelUpdateEvent(direct.Id, new Dictionary<string, object?> { ["active"] = true }, []));
        }

        var outbox = new List<OutboxEntry> { Outbox.Entry(Sent(message, channel, authorName)) };
        if (MessageRules.FindLinks(message.Content) is { Count: > 0 } links)
            outbox.Add(Outbox.Entry(new MessageLinksPosted { MessageId = message.Id, ChannelId = channel.Id, Urls = links }));
        await messages.InsertAsync(message, outbox, cancellationToken);
        outboxSignal.Notify();

        if (message.Mentions is { Count: > 0 } mentions)
            await unreads.AddMentionAsync(mentions.Where(m => m != message.Author).ToList(), channel.Id, message.Id, cancellationToken);
        await events.PublishAsync(channel.Id, new MessageEvent(message, user, member));
    }

    /// <summary>
    /// Asks January for the embeds of an edited message's links. Published straight to RabbitMQ, not through the
    /// outbox, as the edit is stored by a plain update: should RabbitMQ be away, the edit stands without embeds.
    /// </summary>
    public async Task RequestEmbedsAsync(Message message, CancellationToken cancellationToken)
    {
        if (MessageRules.FindLinks(message.Content) is not { Count: > 0 } links) return;
        try
        {
            await bus.Publish(new MessageLinksPosted { MessageId = message.Id, ChannelId = message.Channel, Urls = links }, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning(e, "The links of edited message {Message} were not sent to January", message.Id);
        }
    }

    /// <summary>Posts what happened in a channel as a message of Stoat's system author.</summary>
    public Task PostSystemAsync(Channel channel, SystemMessage system, CancellationToken cancellationToken) =>
        PostAsync(new Message(SecureTokens.NewId(), channel.Id, MessageRules.SystemAuthor, System: system), channel, "System", null, null, cancellationToken);

    /// <summary>Posts to the server channel a server has chosen for such news (<see cref="Server.SystemMessages"/>), if it has one.</summary>
    public async Task PostSystemAsync(string? channelId, SystemMessage system, CancellationToken cancellationToken)
    {
        if (channelId is not null && await channels.GetAsync(channelId, cancellationToken) is TextChannel channel)
            await PostSystemAsync(channel, system, cancellationToken);
    }

    private static MessageSent Sent(Message message, Channel channel, string authorName)
    {
        var mentions = message.Mentions ?? [];
        var recipients = channel switch
        {
            DirectMessage or Group => channel.PrivateUsers().Where(u => u != message.Author).ToList(),
            _ => mentions.Where(u => u != message.Author).ToList(),
        };
        return new MessageSent
        {
            Id = Ulid.Parse(message.Id).ToGuid(),
            MessageId = message.Id,
            ChannelId = channel.Id,
            ServerId = (channel as TextChannel)?.Server,
            Kind = channel switch
            {
                SavedMessages => ConversationKind.SavedMessages,
                DirectMessage => ConversationKind.DirectMessage,
                Group => ConversationKind.Group,
                _ => ConversationKind.Server,
            },
            AuthorId = message.Author,
            AuthorName = authorName,
            Content = message.Content,
            Recipients = recipients,
            Mentions = mentions,
            RoleMentions = message.RoleMentions ?? [],
            MentionsEveryone = message.MessageFlags.HasFlag(MessageFlags.MentionsEveryone),
            MentionsOnline = message.MessageFlags.HasFlag(MessageFlags.MentionsOnline),
            SuppressNotifications = message.MessageFlags.HasFlag(MessageFlags.SuppressNotifications),
        };
    }
}
