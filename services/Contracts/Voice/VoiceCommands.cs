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
/// The Api to Pushd: ring <paramref name="Recipients"/> about the call <paramref name="CallerId"/> started at
/// <paramref name="StartedAt"/> in the DM or group <paramref name="ChannelId"/> (Stoat's <c>dm_call</c> push; a
/// group's calls name it, <paramref name="GroupName"/>), until <paramref name="ExpiresAt"/>. The recipients are also
/// recorded in Redis (<see cref="VoiceKeys.Ring"/>) for as long as the ring lasts. <paramref name="Id"/> makes
/// delivery happen once per device, however often the command arrives.
/// </summary>
public sealed record CallRing(
    Guid Id, string ChannelId, string CallerId, string? GroupName, IReadOnlyList<string> Recipients, DateTimeOffset StartedAt, DateTimeOffset ExpiresAt);

/// <summary>
/// The Api to Pushd: <paramref name="CallerId"/> stopped ringing <paramref name="Recipients"/> in
/// <paramref name="ChannelId"/>'s call (Stoat's <c>end_ring</c>, a <c>dm_call</c> push with <c>ended</c>), so
/// their devices stop ringing.
/// </summary>
public sealed record CallRingEnded(Guid Id, string ChannelId, string CallerId, IReadOnlyList<string> Recipients);
