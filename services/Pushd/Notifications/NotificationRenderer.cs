using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Spokes.Contracts.IntegrationEvents;
using Spokes.Contracts.Push.V1;

namespace Spokes.Pushd.Notifications;

/// <summary>
/// Turns events into what devices show, as Stoat does: a message's body with mentions as names (asked of the Api, kept
/// for <see cref="PushdOptions.NameCacheTime"/>), the author's avatar as icon, a link to the message.
/// </summary>
public sealed class NotificationRenderer(PushTargets.PushTargetsClient api, IMemoryCache cache, IOptions<PushdOptions> options, TimeProvider clock)
{
    private readonly PushdOptions _options = options.Value;

    public async Task<Notification> RenderAsync(MessageSent sent, CancellationToken cancellationToken)
    {
        var raw = sent.Content is { Length: > 0 } content ? content : "Empty Message";
        var body = sent.Content is { Length: > 0 } ? await RenderBodyAsync(raw, sent.ServerId, cancellationToken) : raw;
        return new Notification
        {
            Kind = NotificationKind.Message,
            Title = sent.AuthorName,
            Body = body,
            RawBody = body == raw ? null : raw,
            Icon = $"{PublicUrl}/api/users/{sent.AuthorId}/default_avatar",
            Tag = sent.ChannelId,
            Url = $"{PublicUrl}/channel/{sent.ChannelId}/{sent.MessageId}",
            MessageId = sent.MessageId,
            ChannelId = sent.ChannelId,
            UserId = sent.AuthorId,
            Timestamp = clock.GetUtcNow().ToUnixTimeSeconds(),
        };
    }

    public Notification Render(FriendRequestReceived received) =>
        Friend(NotificationKind.FriendRequestReceived, received.FromUserId, received.FromName, "sent you a friend request");

    public Notification Render(FriendRequestAccepted accepted) =>
        Friend(NotificationKind.FriendRequestAccepted, accepted.AcceptedById, accepted.AcceptedByName, "accepted your friend request");

    private Notification Friend(NotificationKind kind, string friendId, string friendName, string what) => new()
    {
        Kind = kind,
        Title = friendName,
        Body = $"{friendName} {what}",
        Icon = $"{PublicUrl}/api/users/{friendId}/default_avatar",
        UserId = friendId,
        Timestamp = clock.GetUtcNow().ToUnixTimeSeconds(),
    };

    public Notification Render(NotificationRequested requested) => new()
    {
        Kind = NotificationKind.Generic,
        Title = requested.Title,
        Body = requested.Body,
        Icon = requested.Icon ?? $"{PublicUrl}/assets/logo.png",
        Timestamp = clock.GetUtcNow().ToUnixTimeSeconds(),
    };

    private string PublicUrl => _options.PublicUrl.TrimEnd('/');

    private async Task<string> RenderBodyAsync(string text, string? serverId, CancellationToken cancellationToken)
    {
        var references = MessageMarkup.References(text);
        if (references.Values.All(ids => ids.Count == 0)) return text;

        // Nicknames are per server, so user names are cached per server; the rest by id.
        string Key(ReferenceKind kind, string id) => kind == ReferenceKind.User ? $"pushd:name:user:{serverId}:{id}" : $"pushd:name:{kind}:{id}";
        var names = new Dictionary<(ReferenceKind, string), string>();
        var request = new NamesRequest { ServerId = serverId ?? "" };
        foreach (var (kind, ids) in references)
        {
            foreach (var id in ids)
            {
                if (cache.TryGetValue(Key(kind, id), out string? cached)) names[(kind, id)] = cached!;
                else if (kind == ReferenceKind.User) request.UserIds.Add(id);
                else if (kind == ReferenceKind.Channel) request.ChannelIds.Add(id);
                else if (kind == ReferenceKind.Role && serverId is not null) request.RoleIds.Add(id);
                else if (kind == ReferenceKind.Emoji) request.EmojiIds.Add(id);
            }
        }
        if (request.UserIds.Count + request.ChannelIds.Count + request.RoleIds.Count + request.EmojiIds.Count > 0)
        {
            var reply = await api.NamesAsync(request, cancellationToken: cancellationToken);
            void Keep(ReferenceKind kind, IDictionary<string, string> found)
            {
                foreach (var (id, name) in found)
                {
                    names[(kind, id)] = name;
                    cache.Set(Key(kind, id), name, _options.NameCacheTime);
                }
            }
            Keep(ReferenceKind.User, reply.Users);
            Keep(ReferenceKind.Channel, reply.Channels);
            Keep(ReferenceKind.Role, reply.Roles);
            Keep(ReferenceKind.Emoji, reply.Emojis);
        }
        return MessageMarkup.Render(text, (kind, id) => names.GetValueOrDefault((kind, id)));
    }
}
