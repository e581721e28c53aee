using Microsoft.Extensions.Options;
using Spokes.Api.Configuration;
using Spokes.Contracts.Voice;

namespace Spokes.Api.Voice;

/// <summary>The LiveKit nodes this Api hands calls to (validated at start by <see cref="ApiOptionsValidator"/>).</summary>
public sealed class VoiceNodeRegistry
{
    private readonly IReadOnlyDictionary<string, LiveKitNode> _byName;

    public VoiceNodeRegistry(IOptions<ApiOptions> options, IConfiguration configuration)
        : this(VoiceNodes.Read(options.Value.VoiceNodes, key => configuration[key], options.Value.PublicUrl).Nodes)
    {
    }

    private VoiceNodeRegistry(IReadOnlyList<LiveKitNode> nodes)
    {
        All = nodes;
        _byName = nodes.ToDictionary(n => n.Name, StringComparer.Ordinal);
    }

    /// <summary>The nodes of <paramref name="options"/> alone, without the single node's settings.</summary>
    public static VoiceNodeRegistry Of(ApiOptions options) => new(VoiceNodes.Read(options.VoiceNodes, _ => null, options.PublicUrl).Nodes);

    public IReadOnlyList<LiveKitNode> All { get; }

    /// <summary>Stoat's <c>features.livekit.enabled</c>: some node takes calls, even if every one is private.</summary>
    public bool Enabled => All.Count > 0;

    public LiveKitNode? Find(string? name) => name is not null && _byName.TryGetValue(name, out var node) ? node : null;
}
