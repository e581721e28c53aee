using System.Text.Json;
using Spokes.Contracts.Connections.V1;
using Spokes.Events.Connections;
using Spokes.Events.Protocol;

namespace Spokes.Events.Fanout;

/// <summary>
/// An event that changes what its receivers are subscribed to, or that some receivers get differently; each
/// connection applies it in order with the rest of its events. <see cref="View"/>, when set, is what the
/// connection's user sees of <see cref="ServerId"/> after the change, asked of the Api once for every socket here.
/// </summary>
public sealed record StatefulEvent(string Type, JsonElement Event, ServerFrame Frame, bool Forward, string? ServerId = null, Task<ServerViewReply?>? View = null);

/// <summary>
/// Turns one published event into deliveries: most events go unchanged to the topic's sockets; those that change
/// subscriptions (a channel appears, roles change, a server is joined or left, a session is revoked) become
/// <see cref="StatefulEvent"/>s.
/// </summary>
public sealed class EventRouter(TopicHub hub, ServerViews views, ILogger<EventRouter> logger)
{
    private static readonly HashSet<string> StatefulTypes =
    [
        "ChannelCreate", "ChannelUpdate", "ChannelDelete", "ChannelGroupJoin", "ChannelGroupLeave",
        "ServerCreate", "ServerUpdate", "ServerDelete", "ServerMemberUpdate", "ServerMemberLeave",
        "ServerRoleUpdate", "ServerRoleDelete",
        "UserRelationship", "UserUpdate", "DeleteSession", "DeleteAllSessions",
    ];

    public void Route(string topic, byte[] payload)
    {
        var type = ReadType(payload);
        if (type is null)
        {
            logger.LogWarning("An event on {Topic} has no type and was dropped", topic);
            return;
        }
        var frame = ServerFrame.FromJson(payload);
        if (!StatefulTypes.Contains(type))
        {
            foreach (var connection in hub.SubscribersOf(topic)) connection.Deliver(frame);
            return;
        }

        // Shared read-only by every receiving connection, so never disposed (its buffers go to the GC).
        var root = JsonDocument.Parse(payload).RootElement;
        switch (type)
        {
            case "ChannelCreate" when Text(root, "server") is { } server:
                // Announced by each connection's view, only to those who may see the channel.
                hub.RememberChannels(server, [Text(root, "_id")!]);
                Recalculate(type, root, frame, server, hub.SubscribersOf(server), forward: _ => false);
                break;
            case "ChannelUpdate" when ChangesAny(root, ["role_permissions", "default_permissions"], ["DefaultPermissions", "RolePermissions"])
                                      && hub.ServerOfChannel(topic) is { } server:
                Recalculate(type, root, frame, server, hub.SubscribersOf(server), forward: hub.SubscribersOf(topic).ToHashSet().Contains);
                break;
            // The owner sees every channel: a new owner changes two members' views.
            case "ServerUpdate" when ChangesAny(root, ["default_permissions", "owner"], []):
            case "ServerRoleUpdate" when ChangesAny(root, ["permissions"], []):
            case "ServerRoleDelete":
                Recalculate(type, root, frame, topic, hub.SubscribersOf(topic), forward: _ => true);
                break;
            case "ServerMemberUpdate" when ChangesAny(root, ["roles", "timeout"], ["Roles", "Timeout"])
                                           && root.TryGetProperty("id", out var key) && Text(key, "user") is { } user && Text(key, "server") is { } memberServer:
                var receivers = hub.SubscribersOf(topic);
                var own = receivers.Where(c => c.UserId == user).ToArray();
                Recalculate(type, root, frame, memberServer, own, forward: _ => true);
                foreach (var connection in receivers.Except(own)) connection.Deliver(frame);
                break;
            case "ServerCreate" when Text(root, "id") is { } joined:
                if (root.TryGetProperty("server", out var created) && created.TryGetProperty("channels", out var channels))
                    hub.RememberChannels(joined, channels.EnumerateArray().Select(c => c.GetString()!));
                Recalculate(type, root, frame, joined, hub.SubscribersOf(topic), forward: _ => true);
                break;
            default:
                if (type == "ChannelDelete" && Text(root, "id") is { } deleted) hub.ForgetChannel(deleted);
                var stateful = new StatefulEvent(type, root, frame, Forward: true);
                foreach (var connection in hub.SubscribersOf(topic)) connection.Deliver(stateful);
                break;
        }
    }

    /// <summary>
    /// One Api call for every socket here that the change may affect; each applies the answer for its user.
    /// <paramref name="forward"/> says which of them also receive the event itself.
    /// </summary>
    private void Recalculate(string type, JsonElement root, ServerFrame frame, string serverId, ClientConnection[] receivers,
        Func<ClientConnection, bool> forward)
    {
        if (receivers.Length == 0) return;
        var view = views.RequestAsync(serverId, receivers.Select(c => c.UserId).Distinct().ToList());
        var forwarded = new StatefulEvent(type, root, frame, Forward: true, serverId, view);
        var notForwarded = forwarded with { Forward = false };
        foreach (var connection in receivers)
            connection.Deliver(forward(connection) ? forwarded : notForwarded);
    }

    private static bool ChangesAny(JsonElement root, string[] fields, string[] clearable)
    {
        if (root.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Object && fields.Any(f => data.TryGetProperty(f, out _)))
            return true;
        return root.TryGetProperty("clear", out var clear) && clear.ValueKind == JsonValueKind.Array
            && clear.EnumerateArray().Any(c => c.ValueKind == JsonValueKind.String && clearable.Contains(c.GetString()));
    }

    internal static string? Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    /// <summary>The top-level <c>type</c>, read without building a document: most events need nothing else.</summary>
    internal static string? ReadType(ReadOnlySpan<byte> payload)
    {
        try
        {
            var reader = new Utf8JsonReader(payload);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("type"u8))
                {
                    reader.Read();
                    return reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                }
                reader.Read();
                reader.Skip();
            }
        }
        catch (JsonException)
        {
        }
        return null;
    }
}
