using System.Data.Common;

namespace Spokes.Contracts.Voice;

/// <summary>One LiveKit node as the operator configures it (<c>Api:VoiceNodes:{i}</c>), Stoat's <c>api.livekit.nodes</c> and <c>hosts.livekit</c> in one.</summary>
public sealed class VoiceNodeOptions
{
    /// <summary>The node's name: clients choose it, and its webhooks arrive at <c>/ingress/{name}</c>.</summary>
    public string Name { get; set; } = "";

    /// <summary>Where the services reach LiveKit's API (RoomService), e.g. <c>http://livekit:7880</c>.</summary>
    public string Url { get; set; } = "";

    /// <summary>Where clients connect, e.g. <c>wss://voice.example.com</c>.</summary>
    public string PublicUrl { get; set; } = "";

    public string ApiKey { get; set; } = "";
    public string ApiSecret { get; set; } = "";

    /// <summary>Where the node is, for clients to pick the nearest; a node without them sits at 0, 0 (Stoat's Api panics instead).</summary>
    public double? Lat { get; set; }

    public double? Lon { get; set; }

    /// <summary>Private nodes take calls but are not offered to clients (Stoat hides them too).</summary>
    public bool Private { get; set; }
}

/// <summary>A node ready to use: every address parsed, its key and secret present.</summary>
public sealed record LiveKitNode(string Name, Uri Url, string PublicUrl, string ApiKey, string ApiSecret, double Lat, double Lon, bool Private);

/// <summary>
/// The LiveKit nodes of this instance: those of <c>Api:VoiceNodes</c>, and the single node the README documents
/// (<c>LiveKit__Url</c>, <c>LiveKit__ApiKey</c>, <c>LiveKit__ApiSecret</c>, or the AppHost's <c>livekit</c>
/// connection string), named <see cref="SingleNodeName"/>. Read the same way by the Api and Voice-Ingress, so a
/// node's name means the same to both.
/// </summary>
public static class VoiceNodes
{
    public const string SingleNodeName = "worldwide";

    /// <summary>The nodes, or one message per mistake in their settings.</summary>
    /// <param name="publicUrl">Where users reach the instance: the single node's clients connect to its <c>/livekit</c> unless <c>LiveKit:PublicUrl</c> says otherwise.</param>
    public static (IReadOnlyList<LiveKitNode> Nodes, IReadOnlyList<string> Problems) Read(
        IReadOnlyList<VoiceNodeOptions> configured, Func<string, string?> setting, string? publicUrl)
    {
        var problems = new List<string>();
        var nodes = new List<LiveKitNode>();
        var all = configured.Select((node, index) => (Options: node, Where: $"Api:VoiceNodes:{index}")).ToList();
        if (SingleNode(setting, publicUrl, problems) is { } single) all.Add((single, "LiveKit"));
        foreach (var (options, where) in all)
        {
            var before = problems.Count;
            if (!IsName(options.Name))
                problems.Add($"{where}:Name must be 1–32 letters, digits, '-' or '_' (it is part of the webhook address /ingress/{{name}}), not '{options.Name}'.");
            else if (all.Count(other => other.Options.Name == options.Name) > 1)
                problems.Add($"{where}:Name '{options.Name}' is used by more than one node.");
            if (!TryAddress(options.Url, ["http", "https", "ws", "wss"], out var url))
                problems.Add($"{where}:Url must be the node's absolute http(s):// or ws(s):// address for the services, not '{options.Url}'.");
            if (!TryAddress(options.PublicUrl, ["ws", "wss", "http", "https"], out _))
                problems.Add($"{where}:PublicUrl must be the absolute ws(s):// address clients connect to, not '{options.PublicUrl}'.");
            if (string.IsNullOrWhiteSpace(options.ApiKey)) problems.Add($"{where}:ApiKey is missing: LiveKit checks tokens against it.");
            if (string.IsNullOrWhiteSpace(options.ApiSecret)) problems.Add($"{where}:ApiSecret is missing: tokens and webhooks are signed with it.");
            if (options.Lat is < -90 or > 90) problems.Add($"{where}:Lat must be between -90 and 90, not {options.Lat}.");
            if (options.Lon is < -180 or > 180) problems.Add($"{where}:Lon must be between -180 and 180, not {options.Lon}.");
            if (problems.Count > before) continue;
            // LiveKit's API is HTTP: a ws(s) address names the same server.
            var http = new UriBuilder(url!) { Scheme = url!.Scheme is "wss" or "https" ? "https" : "http", Port = url.IsDefaultPort ? -1 : url.Port }.Uri;
            nodes.Add(new LiveKitNode(options.Name, http, options.PublicUrl, options.ApiKey, options.ApiSecret, options.Lat ?? 0, options.Lon ?? 0, options.Private));
        }
        return (nodes, problems);
    }

    private static VoiceNodeOptions? SingleNode(Func<string, string?> setting, string? publicUrl, List<string> problems)
    {
        string? url = setting("LiveKit:Url"), key = setting("LiveKit:ApiKey"), secret = setting("LiveKit:ApiSecret");
        if (string.IsNullOrEmpty(url) && string.IsNullOrEmpty(key) && string.IsNullOrEmpty(secret)
            && setting("ConnectionStrings:livekit") is { Length: > 0 } connection)
        {
            var parts = new DbConnectionStringBuilder { ConnectionString = connection };
            url = parts.TryGetValue("Endpoint", out var endpoint) ? endpoint as string : null;
            key = parts.TryGetValue("ApiKey", out var apiKey) ? apiKey as string : null;
            secret = parts.TryGetValue("ApiSecret", out var apiSecret) ? apiSecret as string : null;
        }
        if (string.IsNullOrEmpty(url) && string.IsNullOrEmpty(key) && string.IsNullOrEmpty(secret)) return null;
        if (string.IsNullOrEmpty(url) || string.IsNullOrEmpty(key) || string.IsNullOrEmpty(secret))
        {
            problems.Add("LiveKit: voice needs all of LiveKit__Url, LiveKit__ApiKey and LiveKit__ApiSecret.");
            return null;
        }
        return new VoiceNodeOptions
        {
            Name = SingleNodeName,
            Url = url,
            PublicUrl = setting("LiveKit:PublicUrl") is { Length: > 0 } configured ? configured : ThroughGateway(publicUrl),
            ApiKey = key,
            ApiSecret = secret,
        };
    }

    /// <summary>The Gateway's <c>/livekit</c> route, as a WebSocket address.</summary>
    private static string ThroughGateway(string? publicUrl) =>
        Uri.TryCreate(publicUrl, UriKind.Absolute, out var url)
            ? new UriBuilder(url) { Scheme = url.Scheme == "https" ? "wss" : "ws", Port = url.IsDefaultPort ? -1 : url.Port, Path = url.AbsolutePath.TrimEnd('/') + "/livekit" }.Uri.ToString()
            : "";

    private static bool IsName(string name) =>
        name.Length is > 0 and <= 32 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    private static bool TryAddress(string value, string[] schemes, out Uri? url) =>
        Uri.TryCreate(value, UriKind.Absolute, out url) && schemes.Contains(url.Scheme) && !string.IsNullOrEmpty(url.Host);
}
