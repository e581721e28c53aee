using System.Text.Json;
using System.Text.Json.Nodes;

namespace Spokes.Contracts.Voice;

/// <summary>
/// Stoat's voice events (<c>EventV1</c> JSON), published on the call's channel topic for the Events service to
/// fan out, by Voice-Ingress as LiveKit reports changes and by the Api when it removes someone from a call.
/// </summary>
public static class VoiceEvents
{
    public static string Join(string channelId, UserVoiceState state) =>
        Event("VoiceChannelJoin", ("id", channelId), ("state", Node(state)));

    public static string Leave(string channelId, string userId) =>
        Event("VoiceChannelLeave", ("id", channelId), ("user", userId));

    public static string Move(string userId, string from, string to, UserVoiceState state) =>
        Event("VoiceChannelMove", ("user", userId), ("from", from), ("to", to), ("state", Node(state)));

    /// <summary><paramref name="changed"/> holds the changed fields of the user's <see cref="UserVoiceState"/>.</summary>
    public static string StateUpdate(string userId, string channelId, JsonObject changed) =>
        Event("UserVoiceStateUpdate", ("id", userId), ("channel_id", channelId), ("data", changed));

    /// <summary>The fields that differ between two states of one user.</summary>
    public static JsonObject Changes(UserVoiceState before, UserVoiceState after)
    {
        var old = Node(before).AsObject();
        var changed = new JsonObject();
        foreach (var (name, value) in Node(after).AsObject())
            if (!JsonNode.DeepEquals(old[name], value)) changed[name] = value?.DeepClone();
        return changed;
    }

    private static JsonNode Node(UserVoiceState state) => JsonSerializer.SerializeToNode(state)!;

    private static string Event(string type, params (string Name, JsonNode? Value)[] fields)
    {
        var result = new JsonObject { ["type"] = type };
        foreach (var (name, value) in fields) result[name] = value;
        return result.ToJsonString();
    }
}
