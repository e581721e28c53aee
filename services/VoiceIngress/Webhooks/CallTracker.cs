using System.Diagnostics.Metrics;
using MassTransit;
using Spokes.Contracts.Voice;
using StackExchange.Redis;

namespace Spokes.VoiceIngress.Webhooks;

/// <summary>
/// Turns LiveKit's webhooks into voice state and Stoat's events, as Stoat's voice-ingress does: joins and leaves
/// (and moves, when a join finds the user still in another call), what each participant publishes, and the
/// call's start and end, which the Api announces in the channel (<see cref="CallStarted"/>, <see cref="CallEnded"/>).
/// A webhook LiveKit repeats changes nothing the second time.
/// </summary>
public sealed class CallTracker(VoiceStates states, IConnectionMultiplexer redis, IPublishEndpoint bus, TimeProvider clock, VoiceMetrics metrics)
{
    public async Task HandleAsync(LiveKitWebhook webhook, CancellationToken cancellationToken)
    {
        switch (webhook)
        {
            case { Event: "participant_joined", Room: { } room, Identity: { } user }:
                await JoinedAsync(room, user, webhook.JoinedAt ?? clock.GetUtcNow(), cancellationToken);
                break;
            case { Event: "participant_left", Room: { } room, Identity: { } user }:
                await LeftAsync(room, user, cancellationToken);
                break;
            case { Event: "track_published" or "track_unmuted", Room: { } room, Identity: { } user, TrackSource: { } source }:
                await TrackAsync(room, user, source, true);
                break;
            case { Event: "track_unpublished" or "track_muted", Room: { } room, Identity: { } user, TrackSource: { } source }:
                await TrackAsync(room, user, source, false);
                break;
            case { Event: "room_finished", Room: { } room }:
                foreach (var user in await states.ClearAsync(room)) await PublishAsync(room, VoiceEvents.Leave(room, user));
                await bus.Publish(new CallEnded(room, clock.GetUtcNow()), cancellationToken);
                break;
        }
        await metrics.RefreshAsync(states);
    }

    private async Task JoinedAsync(string channelId, string userId, DateTimeOffset joinedAt, CancellationToken cancellationToken)
    {
        if (await states.GetAsync(channelId, userId) is not null) return;
        var state = new UserVoiceState(userId, joinedAt, IsReceiving: true, IsPublishing: false, Screensharing: false, Camera: false);
        var before = await states.AddAsync(channelId, state);
        var elsewhere = (await states.ChannelsOfAsync(userId)).Where(c => c != channelId).ToList();
        if (elsewhere.Count > 0)
        {
            // Still in another call by our state: LiveKit moved them, or its leave was lost. Either way, one move.
            foreach (var previous in elsewhere) await EndParticipationAsync(previous, userId, cancellationToken, announce: false);
            await PublishAsync(channelId, VoiceEvents.Move(userId, elsewhere[0], channelId, state));
        }
        else
        {
            await PublishAsync(channelId, VoiceEvents.Join(channelId, state));
        }
        if (before == 0) await bus.Publish(new CallStarted(channelId, userId, joinedAt), cancellationToken);
    }

    private Task LeftAsync(string channelId, string userId, CancellationToken cancellationToken) =>
        EndParticipationAsync(channelId, userId, cancellationToken, announce: true);

    private async Task EndParticipationAsync(string channelId, string userId, CancellationToken cancellationToken, bool announce)
    {
        var (removed, remaining) = await states.RemoveAsync(channelId, userId);
        if (!removed) return;
        if (announce) await PublishAsync(channelId, VoiceEvents.Leave(channelId, userId));
        if (remaining == 0) await bus.Publish(new CallEnded(channelId, clock.GetUtcNow()), cancellationToken);
    }

    private async Task TrackAsync(string channelId, string userId, string source, bool on)
    {
        if (await states.GetAsync(channelId, userId) is not { } before) return;
        var after = source switch
        {
            "MICROPHONE" => before with { IsPublishing = on },
            "CAMERA" => before with { Camera = on },
            "SCREEN_SHARE" => before with { Screensharing = on },
            _ => before,
        };
        if (after == before || !await states.ReplaceAsync(channelId, after)) return;
        await PublishAsync(channelId, VoiceEvents.StateUpdate(userId, channelId, VoiceEvents.Changes(before, after)));
    }

    private async Task PublishAsync(string channelId, string json) =>
        await redis.GetSubscriber().PublishAsync(RedisChannel.Literal(channelId), json);
}

/// <summary>Voice metrics for the dashboard: calls and participants now, and webhooks by outcome.</summary>
public sealed class VoiceMetrics : IDisposable
{
    public const string MeterName = "Spokes.Voice";

    private readonly Meter _meter = new(MeterName);
    private readonly Counter<long> _webhooks;
    private int _calls;
    private long _participants;

    public VoiceMetrics()
    {
        _webhooks = _meter.CreateCounter<long>("spokes.voice.webhooks", description: "LiveKit webhooks received, by event and outcome");
        _meter.CreateObservableGauge("spokes.voice.calls", () => Volatile.Read(ref _calls), description: "Calls in progress");
        _meter.CreateObservableGauge("spokes.voice.participants", () => Interlocked.Read(ref _participants), description: "People in calls");
    }

    public void Webhook(string node, string @event, string outcome) =>
        _webhooks.Add(1, new("node", node), new("event", @event), new("outcome", outcome));

    public async Task RefreshAsync(VoiceStates states)
    {
        var (calls, participants) = await states.CountAllAsync();
        Volatile.Write(ref _calls, calls);
        Interlocked.Exchange(ref _participants, participants);
    }

    public void Dispose() => _meter.Dispose();
}
