using System.Text.Json;
using System.Text.Json.Nodes;

namespace Spokes.VoiceIngress.Webhooks;

/// <summary>The parts of LiveKit's <c>WebhookEvent</c> voice state follows; protobuf JSON, so either field name may come.</summary>
public sealed record LiveKitWebhook(string Event, string? Room, string? Identity, DateTimeOffset? JoinedAt, string? TrackSource)
{
    /// <summary>The webhook in <paramref name="body"/>, or null when it is not a LiveKit webhook event.</summary>
    public static LiveKitWebhook? Parse(ReadOnlySpan<byte> body)
    {
        try
        {
            if (JsonNode.Parse(body) is not JsonObject root || Text(root, "event") is not { Length: > 0 } name) return null;
            var participant = root["participant"] as JsonObject;
            var track = root["track"] as JsonObject;
            var joinedAt = participant is null ? null : Field(participant, "joined_at", "joinedAt") switch
            {
                JsonValue value when value.TryGetValue<long>(out var seconds) => seconds,
                JsonValue value when value.TryGetValue<string>(out var text) && long.TryParse(text, out var seconds) => seconds,
                _ => (long?)null,
            };
            return new LiveKitWebhook(
                name,
                (root["room"] as JsonObject) is { } room ? Text(room, "name") : null,
                participant is null ? null : Text(participant, "identity"),
                joinedAt is > 0 ? DateTimeOffset.FromUnixTimeSeconds(joinedAt.Value) : null,
                track is null ? null : Field(track, "source", "source") switch
                {
                    JsonValue value when value.TryGetValue<string>(out var source) => source,
                    // Protobuf JSON may send an enum by number: TrackSource's CAMERA 1, MICROPHONE 2, SCREEN_SHARE 3, SCREEN_SHARE_AUDIO 4.
                    JsonValue value when value.TryGetValue<int>(out var number) => number switch
                    {
                        1 => "CAMERA",
                        2 => "MICROPHONE",
                        3 => "SCREEN_SHARE",
                        4 => "SCREEN_SHARE_AUDIO",
                        _ => null,
                    },
                    _ => null,
                });
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }

    private static JsonNode? Field(JsonObject parent, string protoName, string jsonName) => parent[protoName] ?? parent[jsonName];

    private static string? Text(JsonObject parent, string name) =>
        parent[name] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
}
