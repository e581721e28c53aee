using System.Text.Json;
using System.Text.Json.Serialization;

namespace Spokes.Pushd.Notifications;

public enum NotificationKind { Message, FriendRequestReceived, FriendRequestAccepted, Generic, Call }

/// <summary>
/// What one event tells a user's devices, rendered once for every recipient. Each push service shapes it its own
/// way; the Web Push body is Stoat's <c>PushNotification</c> JSON.
/// </summary>
public sealed record Notification
{
    public required NotificationKind Kind { get; init; }

    /// <summary>The message's author, the friend's name, or a generic notification's title.</summary>
    public required string Title { get; init; }

    /// <summary>Rendered: mentions are names.</summary>
    public required string Body { get; init; }

    /// <summary>The body as sent, when rendering changed it.</summary>
    public string? RawBody { get; init; }

    public required string Icon { get; init; }

    /// <summary>Collapses a channel's notifications into one on the device (the channel id).</summary>
    public string? Tag { get; init; }

    public string? Url { get; init; }

    public string? MessageId { get; init; }

    public string? ChannelId { get; init; }

    /// <summary>The message's author, the friend, or the caller.</summary>
    public string? UserId { get; init; }

    /// <summary>A call's ring: when the call started (ISO 8601), whether the ring is over, how many seconds it rings.</summary>
    public CallRinging? Call { get; init; }

    public long Timestamp { get; init; }

    /// <summary>
    /// The Web Push payload, as Stoat's service worker reads it. A long message is cut (raw body and content dropped,
    /// body shortened) so that the payload fits the one record a push service takes.
    /// </summary>
    public byte[] WebPushPayload(int maxBytes)
    {
        var payload = FullWebPushPayload();
        if (payload.Length <= maxBytes) return payload;
        var shortened = this with { Body = Body[..Math.Min(Body.Length, ShortBodyLength)] + "…", RawBody = null };
        return shortened.FullWebPushPayload();
    }

    /// <summary>Short enough that the payload fits even when every character is escaped.</summary>
    private const int ShortBodyLength = 500;

    private byte[] FullWebPushPayload() => Kind switch
    {
        NotificationKind.Message => JsonSerializer.SerializeToUtf8Bytes(new WebPushMessage(Title, Icon, Body, RawBody, Tag ?? "", Timestamp, Url ?? "",
            new WebPushMessageRef(MessageId ?? "", ChannelId ?? "", UserId ?? "", RawBody ?? Body)), PayloadJson.Options),
        NotificationKind.Generic => JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string?> { ["title"] = Title, ["body"] = Body, ["icon"] = Icon }, PayloadJson.Options),
        _ => JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["body"] = Body }, PayloadJson.Options),
    };

    /// <summary>FCM <c>data</c> (string values only), with Stoat's <c>type</c> names.</summary>
    public Dictionary<string, string> FcmData() => Kind switch
    {
        NotificationKind.Message => new()
        {
            ["type"] = "push.message", ["message"] = MessageId ?? "", ["body"] = Body, ["image"] = Icon,
            ["channel"] = ChannelId ?? "", ["author"] = UserId ?? "", ["author_name"] = Title,
        },
        NotificationKind.FriendRequestReceived => new() { ["type"] = "push.fr.receive", ["id"] = UserId ?? "", ["username"] = Title },
        NotificationKind.FriendRequestAccepted => new() { ["type"] = "push.fr.accept", ["id"] = UserId ?? "", ["username"] = Title },
        NotificationKind.Call => new()
        {
            ["type"] = "push.dm.call", ["initiator_id"] = UserId ?? "", ["channel_id"] = ChannelId ?? "", ["started_at"] = Call?.StartedAt ?? "",
            ["ended"] = Call?.Ended == true ? "true" : "false", ["duration"] = (Call?.DurationSeconds ?? 0).ToString(System.Globalization.CultureInfo.InvariantCulture),
        },
        _ => new() { ["type"] = "push.generic", ["title"] = Title, ["body"] = Body, ["image"] = Icon },
    };

    private sealed record WebPushMessage(string Author, string Icon, string Body, string? RawBody, string Tag, long Timestamp, string Url, WebPushMessageRef Message);

    private sealed record WebPushMessageRef([property: JsonPropertyName("_id")] string Id, string Channel, string Author, string? Content);
}

/// <summary>Stoat's <c>DmCallPayload</c> as its push services send it, with the ring's length (<c>call_ring_duration</c>).</summary>
public sealed record CallRinging(string StartedAt, bool Ended, int DurationSeconds);

internal static class PayloadJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}
