using Microsoft.AspNetCore.Http;

namespace Spokes.Events.Protocol;

public enum WireFormat { Json, MessagePack }

/// <summary>
/// Stoat's connection query: <c>version</c> (1), <c>format=json|msgpack</c>, <c>token</c> and repeatable
/// <c>ready</c> field names. Only the query counts; the path does not.
/// </summary>
public sealed record ConnectionParameters(int Version, WireFormat Format, string? Token, IReadOnlyList<string> ReadyFields)
{
    public static readonly IReadOnlySet<string> KnownReadyFields = new HashSet<string>
    {
        "users", "servers", "channels", "members", "emojis", "voice_states", "channel_unreads", "policy_changes",
    };

    /// <summary>The parameters, or the reason they are refused.</summary>
    public static (ConnectionParameters? Parameters, string? Error) Parse(IQueryCollection query)
    {
        var version = 1;
        if (query.TryGetValue("version", out var versionText) && (!int.TryParse(versionText, out version) || version != 1))
            return (null, $"version '{versionText}' is not supported; use version=1");

        var format = WireFormat.Json;
        if (query.TryGetValue("format", out var formatText))
        {
            format = formatText.ToString() switch
            {
                "json" => WireFormat.Json,
                "msgpack" => WireFormat.MessagePack,
                _ => (WireFormat)(-1),
            };
            if ((int)format < 0) return (null, $"format '{formatText}' is not supported; use json or msgpack");
        }

        var ready = new List<string>();
        foreach (var field in query["ready"])
        {
            if (string.IsNullOrEmpty(field)) continue;
            if (!KnownReadyFields.Contains(field) && !IsSettingField(field))
                return (null, $"ready field '{field}' is unknown");
            ready.Add(field);
        }
        var token = query["token"].ToString();
        return (new ConnectionParameters(version, format, token.Length == 0 ? null : token, ready), null);
    }

    private static bool IsSettingField(string field) =>
        field.StartsWith("user_settings[", StringComparison.Ordinal) && field.EndsWith(']') && field.Length is > 15 and <= 80;
}
