using Spokes.Api.Configuration;
using Spokes.Permissions;

namespace Spokes.Api.Voice;

/// <summary>
/// What a participant may send and receive in a call, as Stoat derives it: the microphone with <c>Speak</c>; the
/// camera and screen sharing with <c>Video</c> when the user's limits allow video; receiving with <c>Listen</c>.
/// Publishing stays granted (as in Stoat), limited to <see cref="Sources"/>.
/// </summary>
public sealed record VoiceGrants(IReadOnlyList<string> Sources, bool CanSubscribe)
{
    public bool CanPublish => true;

    public static VoiceGrants For(ChannelPermission permissions, UserLimits limits)
    {
        var sources = new List<string>();
        if (permissions.HasFlag(ChannelPermission.Speak)) sources.Add("microphone");
        if (permissions.HasFlag(ChannelPermission.Video) && limits.Video) sources.AddRange(["camera", "screen_share", "screen_share_audio"]);
        return new VoiceGrants(sources, permissions.HasFlag(ChannelPermission.Listen));
    }
}
