using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Spokes.Contracts.IntegrationEvents;
using Spokes.Contracts.Push.V1;
using Spokes.Contracts.Voice;

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

    /// <summary>A DM or group call ringing (Stoat's <c>dm_call</c>): "… is calling you", or "… is calling your group, …".</summary>
    public async Task<Notification> RenderAsync(CallRing ring, CancellationToken cancellationToken)
    {
        var caller = await UserNameAsync(ring.CallerId, cancellationToken);
        return Call(ring.ChannelId, ring.CallerId, caller,
            ring.GroupName is { } group ? $"{caller} is calling your group, {group}" : $"{caller} is calling you",
            new CallRinging(ring.StartedAt.ToString("O", System.Globalization.CultureInfo.InvariantCulture), false,
                (int)Math.Max(0, (ring.ExpiresAt - ring.StartedAt).TotalSeconds)));
    }

    /// <summary>The ring stopped for these recipients (Stoat's <c>end_ring</c>): the same call, <c>ended</c>.</summary>
    public async Task<Notification> RenderAsync(CallRingEnded ended, CancellationToken cancellationToken)
    {
        var caller = await UserNameAsync(ended.CallerId, cancellationToken);
        return Call(ended.ChannelId, ended.CallerId, caller, $"{caller} stopped calling you", new CallRinging("", true, 0));
    }

    private Notification Call(string channelId, string callerId, string caller, string body, CallRinging ringing) => new()
    {
        Kind = NotificationKind.Call,
        Title = caller,
        Body = body,
        Icon = $"{PublicUrl}/api/users/{callerId}/default_avatar",
        // One notification per call on the device: the ended ring replaces the ringing one.
        Tag = channelId,
        Url = $"{PublicUrl}/channel/{channelId}",
        ChannelId = channelId,
        UserId = callerId,
        Call = ringing,
        Timestamp = clock.GetUtcNow().ToUnixTimeSeconds(),
    };

    private async Task<string> UserNameAsync(string userId, CancellationToken cancellationToken)
    {
        var key = $"pushd:name:user::{userId}";
        if (cache.TryGetValue(key, out string? cached)) return cached!;
        var request = new NamesRequest();
        request.UserIds.Add(userId);
        var reply = await api.NamesAsync(request, cancellationToken: cancellationToken);
        if (!reply.Users.TryGetValue(userId, out var name)) return "Someone";
        cache.Set(key, name, _options.NameCacheTime);
        return name;
    }

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
