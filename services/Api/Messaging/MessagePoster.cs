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
public sealed class MessagePoster(IMessageStore messages, IUnreadStore unreads, IChannelStore channels, EventPublisher events, OutboxSignal outboxSignal)
{
    public async Task PostAsync(Message message, Channel channel, string authorName, UserResponse? user, Member? member, CancellationToken cancellationToken)
    {
        if (channel is DirectMessage { Active: false } direct)
        {
            // A message reopens a closed DM for both sides.
            await channels.UpdateAsync(direct.Id, new FieldUpdate().Set("active", true), cancellationToken);
            await events.PublishAsync(direct.Id, new ChannelUpdateEvent(direct.Id, new Dictionary<string, object?> { ["active"] = true }, []));
        }

        List<OutboxEntry> outbox = [Outbox.Entry(Sent(message, channel, authorName)), .. EmbedsRequest(message)];
        await messages.InsertAsync(message, outbox, cancellationToken);
        outboxSignal.Notify();

        if (message.Mentions is { Count: > 0 } mentions)
            await unreads.AddMentionAsync(mentions.Where(m => m != message.Author).ToList(), channel.Id, message.Id, cancellationToken);
        await events.PublishAsync(channel.Id, new MessageEvent(message, user, member));
    }

    /// <summary>
    /// January's request for the embeds of the message's links (none when it has none), for the outbox of the write
    /// that stores its text — a new message's or an edit's — so RabbitMQ being away loses none.
    /// </summary>
    public static IReadOnlyList<OutboxEntry> EmbedsRequest(Message message) =>
        MessageRules.FindLinks(message.Content) is { Count: > 0 } links
            ? [Outbox.Entry(new MessageLinksPosted { MessageId = message.Id, ChannelId = message.Channel, Urls = links })]
            : [];

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
