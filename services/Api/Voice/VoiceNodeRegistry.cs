using Microsoft.Extensions.Options;
using Spokes.Api.Configuration;
using Spokes.Contracts.Voice;

namespace Spokes.Api.Voice;

/// <summary>
/// The LiveKit nodes this Api hands calls to (validated at start by <see cref="ApiOptionsValidator"/>). They are read
/// again when the options change: the single node's address follows the public URL, which the admin page may change.
/// </summary>
public sealed class VoiceNodeRegistry
{
    private sealed record Nodes(IReadOnlyList<LiveKitNode> All, IReadOnlyDictionary<string, LiveKitNode> ByName)
    {
        public static Nodes Of(IReadOnlyList<LiveKitNode> all) => new(all, all.ToDictionary(n => n.Name, StringComparer.Ordinal));
    }

    private volatile Nodes _nodes;

    public VoiceNodeRegistry(IOptionsMonitor<ApiOptions> options, IConfiguration configuration)
    {
        _nodes = Read(options.CurrentValue, configuration);
        options.OnChange(changed => _nodes = Read(changed, configuration));
    }

    private VoiceNodeRegistry(IReadOnlyList<LiveKitNode> nodes) => _nodes = Nodes.Of(nodes);

    private static Nodes Read(ApiOptions options, IConfiguration configuration) =>
        Nodes.Of(VoiceNodes.Read(options.VoiceNodes, key => configuration[key], options.PublicUrl).Nodes);

    /// <summary>The nodes of <paramref name="options"/> alone, without the single node's settings.</summary>
    public static VoiceNodeRegistry Of(ApiOptions options) => new(VoiceNodes.Read(options.VoiceNodes, _ => null, options.PublicUrl).Nodes);

    public IReadOnlyList<LiveKitNode> All => _nodes.All;

    /// <summary>Stoat's <c>features.livekit.enabled</c>: some node takes calls, even if every one is private.</summary>
    public bool Enabled => All.Count > 0;

    public LiveKitNode? Find(string? name) => name is not null && _nodes.ByName.TryGetValue(name, out var node) ? node : null;
}
