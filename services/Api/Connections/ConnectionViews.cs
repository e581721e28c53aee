using System.Text.Json;
using System.Text.Json.Nodes;
using Spokes.Api.Community;
using Spokes.Api.Messaging;
using Spokes.Api.Storage;
using Spokes.Permissions;

namespace Spokes.Api.Connections;

/// <summary>Stoat's <c>ready=</c> fields that a connection asked for.</summary>
public sealed record ReadyFields(IReadOnlySet<string> Enabled, IReadOnlyList<string> SettingKeys)
{
    private static readonly string[] Defaults = ["users", "servers", "channels", "members", "emojis", "voice_states", "policy_changes"];

    /// <summary>No field named means Stoat's defaults: everything but <c>channel_unreads</c> and settings.</summary>
    public static ReadyFields Parse(IReadOnlyCollection<string> fields)
    {
        if (fields.Count == 0) return new(new HashSet<string>(Defaults), []);
        var keys = fields.Where(f => f.StartsWith("user_settings[", StringComparison.Ordinal) && f.EndsWith(']'))
            .Select(f => f["user_settings[".Length..^1]).Where(k => k.Length > 0).Distinct().ToList();
        return new(fields.ToHashSet(), keys);
    }

    public bool Has(string field) => Enabled.Contains(field);
}

/// <summary>A server the user is in: all its channels, and those the user may view.</summary>
public sealed record Membership(string ServerId, IReadOnlyList<string> ChannelIds, IReadOnlyList<string> VisibleChannelIds);

/// <summary>What a user's connection starts with, and the ids its subscriptions start from.</summary>
public sealed record ReadyView(
    JsonObject Payload,
    IReadOnlyList<string> UserIds,
    IReadOnlyList<Membership> Servers,
    IReadOnlyList<string> PrivateChannelIds,
    bool IsBot,
    bool IsPrivileged,
    bool Invisible);

/// <summary>One user's standing in a server: a member or not, and the channels they may view.</summary>
public sealed record MemberView(string UserId, bool IsMember, IReadOnlyList<string> VisibleChannelIds);

/// <summary>
/// Builds what the Events service sends a connection (Stoat's <c>Ready</c>) and what it needs to keep the
/// connection's subscriptions right, with the same permission rules the routes apply.
/// </summary>
public sealed class ConnectionViews(
    IUserStore users,
    IServerStore servers,
    IMemberStore members,
    IChannelStore channels,
    IEmojiStore emojis,
    IUnreadStore unreads,
    ISettingsStore settings,
    CommunityAccess access,
    Spokes.Contracts.Voice.VoiceStates voice)
{
    public async Task<ReadyView?> ReadyAsync(string userId, ReadyFields fields, CancellationToken cancellationToken)
    {
        var user = await users.GetAsync(userId, cancellationToken);
        if (user is null) return null;

        var privateChannels = await channels.ListPrivateAsync(userId, cancellationToken);
        var serverIds = await members.ServersOfAsync(userId, cancellationToken);
        var joined = new List<Server>();
        var memberships = new List<Member>();
        var visibleChannels = new List<Channel>();
        var views = new List<Membership>();
        foreach (var serverId in serverIds)
        {
            // Either may be gone by now (a server deleted, a member removed): Ready shows what stands.
            var server = await servers.GetAsync(serverId, cancellationToken);
            var member = await members.GetAsync(serverId, userId, cancellationToken);
            if (server is null || member is null) continue;
            joined.Add(server);
            memberships.Add(member);
            var at = access.At(user, server, member);
            var serverChannels = (await channels.ListByServerAsync(server.Id, cancellationToken)).OfType<TextChannel>().ToList();
            var visible = serverChannels.Where(c => CanView(at, c)).ToList();
            visibleChannels.AddRange(visible);
            views.Add(new Membership(server.Id, serverChannels.Select(c => c.Id).ToList(), visible.Select(c => c.Id).ToList()));
        }

        var relationships = await users.GetRelationshipsAsync(userId, cancellationToken);
        var knownUserIds = new[] { userId }
            .Concat(relationships.Keys)
            .Concat(privateChannels.SelectMany(c => c.PrivateUsers()))
            .Distinct()
            .ToList();

        var payload = new JsonObject { ["type"] = "Ready" };
        // The user is connecting: they read as online to themselves, as in Stoat.
        if (fields.Has("users")) payload["users"] = Json(await access.SeenByAsync(user, knownUserIds, cancellationToken, viewerConnected: true));
        if (fields.Has("servers")) payload["servers"] = Json(joined);
        // An inactive DM is left out of the list, as Stoat does, but stays subscribed: a message reopens it.
        if (fields.Has("channels")) payload["channels"] = Json(privateChannels.Where(c => c is not DirectMessage { Active: false }).Concat(visibleChannels).ToList());
        if (fields.Has("members")) payload["members"] = Json(memberships);
        if (fields.Has("emojis"))
        {
            var all = new List<Emoji>();
            foreach (var server in joined) all.AddRange(await emojis.ListByServerAsync(server.Id, cancellationToken));
            payload["emojis"] = Json(all);
        }
        if (fields.Has("voice_states"))
            payload["voice_states"] = Json(await voice.InChannelsAsync(privateChannels.Concat(visibleChannels).Select(c => c.Id)));
        if (fields.Has("channel_unreads")) payload["channel_unreads"] = Json(await unreads.ListAsync(userId, cancellationToken));
        if (fields.SettingKeys.Count > 0)
            payload["user_settings"] = Json(SyncService.Wire(await settings.GetAsync(userId, fields.SettingKeys, cancellationToken)));
        // Spokes publishes no policy changes; Stoat never sends the field to bots.
        if (fields.Has("policy_changes") && !user.IsBot) payload["policy_changes"] = new JsonArray();

        return new ReadyView(
            payload,
            knownUserIds,
            views,
            privateChannels.Select(c => c.Id).ToList(),
            user.IsBot,
            user.Privileged,
            !Users.PresenceVisibility.Announces(user));
    }

    /// <summary>What each of <paramref name="userIds"/> sees of the server now; null when the server is gone.</summary>
    public async Task<(IReadOnlyList<TextChannel> Channels, IReadOnlyList<MemberView> Members)?> ServerViewAsync(
        string serverId, IReadOnlyCollection<string> userIds, CancellationToken cancellationToken)
    {
        if (await servers.GetAsync(serverId, cancellationToken) is not { } server) return null;
        var serverChannels = (await channels.ListByServerAsync(serverId, cancellationToken)).OfType<TextChannel>().ToList();
        var found = (await users.GetManyAsync(userIds, cancellationToken)).ToDictionary(u => u.Id);
        var memberOf = (await members.GetManyAsync(serverId, userIds, cancellationToken)).ToDictionary(m => m.Id.User);
        var views = userIds.Distinct().Select(id =>
        {
            if (!found.TryGetValue(id, out var user) || !memberOf.TryGetValue(id, out var member)) return new MemberView(id, false, []);
            var at = access.At(user, server, member);
            return new MemberView(id, true, serverChannels.Where(c => CanView(at, c)).Select(c => c.Id).ToList());
        }).ToList();
        return (serverChannels, views);
    }

    private bool CanView(ServerAccess at, TextChannel channel) => access.InChannel(at, channel).HasFlag(ChannelPermission.ViewChannel);

    private static JsonNode Json<T>(T value) => JsonSerializer.SerializeToNode(value, StoatJson.Options)!;
}
