namespace Spokes.Contracts.Voice;

/// <summary>
/// Voice-Ingress to the Api, which owns messages: the first participant joined <paramref name="ChannelId"/>'s call,
/// so the Api posts its <c>CallStarted</c> system message by <paramref name="UserId"/>. Safe to repeat: a call
/// whose message exists is not announced twice.
/// </summary>
public sealed record CallStarted(string ChannelId, string UserId, DateTimeOffset At);

/// <summary>Voice-Ingress to the Api: the last participant left, so the call's <c>CallStarted</c> message gets its <c>finished_at</c>.</summary>
public sealed record CallEnded(string ChannelId, DateTimeOffset At);

/// <summary>
/// The Api to Pushd: ring <paramref name="Recipients"/> about the call <paramref name="CallerId"/> started in the DM
/// or group <paramref name="ChannelId"/> (Stoat's <c>dm_call</c> push), until <paramref name="ExpiresAt"/>. The
/// recipients are also recorded in Redis (<see cref="VoiceKeys.Ring"/>) for as long as the ring lasts.
/// </summary>
public sealed record CallRing(string ChannelId, string CallerId, IReadOnlyList<string> Recipients, DateTimeOffset ExpiresAt);
