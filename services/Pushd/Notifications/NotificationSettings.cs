using System.Text.Json;

namespace Spokes.Pushd.Notifications;

/// <summary>
/// A user's notification settings as Stoat's clients sync them (the <c>notifications</c> setting:
/// <c>{"server": {id: mode}, "channel": {id: mode}}</c>, modes <c>all</c>, <c>mention</c>, <c>none</c>, <c>muted</c>).
/// A channel's mode overrides its server's; without either, DMs and groups notify of everything and servers of
/// mentions, as the clients' defaults.
/// </summary>
public sealed class NotificationSettings
{
    private readonly Dictionary<string, string> _servers;
    private readonly Dictionary<string, string> _channels;

    private NotificationSettings(Dictionary<string, string> servers, Dictionary<string, string> channels)
    {
        _servers = servers;
        _channels = channels;
    }

    public static readonly NotificationSettings Default = new([], []);

    /// <summary>Settings a client wrote are not trusted to be well-formed: what cannot be read counts as unset.</summary>
    public static NotificationSettings Parse(string? json)
    {
        if (string.IsNullOrWhiteSpace(json)) return Default;
        try
        {
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 8 });
            if (document.RootElement.ValueKind != JsonValueKind.Object) return Default;
            return new(Modes(document.RootElement, "server"), Modes(document.RootElement, "channel"));
        }
        catch (JsonException)
        {
            return Default;
        }
    }

    private static Dictionary<string, string> Modes(JsonElement root, string name)
    {
        var modes = new Dictionary<string, string>(StringComparer.Ordinal);
        if (root.TryGetProperty(name, out var section) && section.ValueKind == JsonValueKind.Object)
        {
            foreach (var entry in section.EnumerateObject())
                if (entry.Value.ValueKind == JsonValueKind.String) modes[entry.Name] = entry.Value.GetString()!;
        }
        return modes;
    }

    /// <summary>Whether a message in <paramref name="channelId"/> (of <paramref name="serverId"/>, if any) reaches the user.</summary>
    public bool Notifies(string channelId, string? serverId, bool mentioned)
    {
        var mode = _channels.GetValueOrDefault(channelId)
            ?? (serverId is null ? null : _servers.GetValueOrDefault(serverId))
            ?? (serverId is null ? "all" : "mention");
        return mode switch
        {
            "all" => true,
            "mention" => mentioned,
            _ => false,
        };
    }
}
