using Grpc.Core;
using Spokes.Api.Connections;
using Spokes.Api.Storage;
using Spokes.Contracts.Push.V1;

namespace Spokes.Api.Push;

/// <summary>
/// Pushd's questions (the <c>PushTargets</c> gRPC service): who has a push subscription and which notification
/// settings, who a mass mention reaches, and the names a notification shows. Pushd reads none of the Api's tables.
/// </summary>
public sealed class PushTargetsGrpc(
    ISessionStore sessions,
    ISettingsStore settings,
    IMemberStore members,
    IUserStore users,
    IServerStore servers,
    IChannelStore channels,
    IEmojiStore emojis,
    ConnectionViews views) : PushTargets.PushTargetsBase
{
    /// <summary>The synced setting Stoat's clients keep notification modes in.</summary>
    public const string NotificationsSetting = "notifications";

    private const int MaxUsers = 1000;

    public override async Task<RecipientsReply> Recipients(RecipientsRequest request, ServerCallContext context)
    {
        if (request.UserIds.Count > MaxUsers) throw new RpcException(new Status(StatusCode.InvalidArgument, $"at most {MaxUsers} users per call"));
        var reply = new RecipientsReply();
        foreach (var userId in request.UserIds.Distinct())
        {
            var subscribed = (await sessions.ListAsync(userId, context.CancellationToken)).Where(s => s.Subscription is not null).ToList();
            if (subscribed.Count == 0) continue;
            var stored = await settings.GetAsync(userId, [NotificationsSetting], context.CancellationToken);
            var recipient = new Recipient
            {
                UserId = userId,
                NotificationSettingsJson = stored.TryGetValue(NotificationsSetting, out var value) ? value.Value : "",
            };
            recipient.Subscriptions.AddRange(subscribed.Select(s => new PushSubscription
            {
                SessionId = s.Id, Endpoint = s.Subscription!.Endpoint, P256Dh = s.Subscription.P256dh, Auth = s.Subscription.Auth,
            }));
            reply.Recipients.Add(recipient);
        }
        return reply;
    }

    public override async Task<MassMentionedReply> MassMentioned(MassMentionedRequest request, ServerCallContext context)
    {
        var limit = Math.Clamp(request.Limit, 1, MaxUsers);
        var roles = request.RoleIds.ToHashSet(StringComparer.Ordinal);
        var page = (await members.ListAsync(request.ServerId, context.CancellationToken))
            .Where(m => request.Everyone || (m.Roles ?? []).Any(roles.Contains))
            .Select(m => m.Id.User)
            .Where(u => string.CompareOrdinal(u, request.After) > 0)
            .Order(StringComparer.Ordinal)
            .Take(limit + 1)
            .ToList();
        var reply = new MassMentionedReply { NextAfter = page.Count > limit ? page[limit - 1] : "" };
        var chunk = page.Take(limit).ToList();
        if (chunk.Count > 0 && await views.ServerViewAsync(request.ServerId, chunk, context.CancellationToken) is { } view)
            reply.UserIds.AddRange(view.Members.Where(m => m.IsMember && m.VisibleChannelIds.Contains(request.ChannelId)).Select(m => m.UserId));
        return reply;
    }

    public override async Task<NamesReply> Names(NamesRequest request, ServerCallContext context)
    {
        var cancellationToken = context.CancellationToken;
        var reply = new NamesReply();
        var userIds = request.UserIds.Distinct().Take(MaxUsers).ToList();
        var nicknames = request.ServerId.Length == 0
            ? new Dictionary<string, string>()
            : (await members.GetManyAsync(request.ServerId, userIds, cancellationToken)).Where(m => m.Nickname is not null).ToDictionary(m => m.Id.User, m => m.Nickname!);
        foreach (var user in await users.GetManyAsync(userIds, cancellationToken))
            reply.Users[user.Id] = nicknames.GetValueOrDefault(user.Id) ?? user.DisplayName ?? user.Username;
        foreach (var channelId in request.ChannelIds.Distinct().Take(MaxUsers))
        {
            var name = await channels.GetAsync(channelId, cancellationToken) switch
            {
                TextChannel text => text.Name,
                Group group => group.Name,
                DirectMessage => "DM Channel",
                _ => null,
            };
            if (name is not null) reply.Channels[channelId] = name;
        }
        if (request.ServerId.Length > 0 && request.RoleIds.Count > 0 && await servers.GetAsync(request.ServerId, cancellationToken) is { } server)
        {
            foreach (var roleId in request.RoleIds.Distinct())
                if (server.Roles.TryGetValue(roleId, out var role)) reply.Roles[roleId] = role.Name;
        }
        foreach (var emojiId in request.EmojiIds.Distinct().Take(MaxUsers))
            if (await emojis.GetAsync(emojiId, cancellationToken) is { } emoji) reply.Emojis[emojiId] = emoji.Name;
        return reply;
    }
}
