using System.Text.Json;
using MassTransit;
using Spokes.Api.Events;
using Spokes.Api.Identity;
using Spokes.Api.Messaging;
using Spokes.Api.Storage;
using Spokes.Contracts.Voice;
using StackExchange.Redis;

namespace Spokes.Api.Voice;

/// <summary>
/// The <c>CallStarted</c> system message of each call, which the Api writes because it owns messages: posted when
/// Voice-Ingress reports the first participant (ringing the DM or group's rung users through Pushd), given its
/// <c>finished_at</c> when it reports the last one gone.
/// </summary>
public sealed class CallMessages(
    IChannelStore channels,
    IMessageStore messages,
    MessagePoster poster,
    EventPublisher events,
    IConnectionMultiplexer redis,
    IPublishEndpoint bus)
    : IConsumer<Contracts.Voice.CallStarted>, IConsumer<CallEnded>
{
    public async Task Consume(ConsumeContext<Contracts.Voice.CallStarted> context)
    {
        var (channelId, userId, at) = context.Message;
        if (await channels.GetAsync(channelId, context.CancellationToken) is not { } channel) return;
        var db = redis.GetDatabase();
        var message = new Message(SecureTokens.NewId(), channel.Id, MessageRules.SystemAuthor, System: new Storage.CallStarted(userId, null));
        // One message per call, even if the command arrives twice.
        if (!await db.StringSetAsync(VoiceKeys.CallMessage(channelId), message.Id, when: When.NotExists)) return;
        await poster.PostAsync(message, channel, "System", null, null, context.CancellationToken);

        var rung = (await db.SetMembersAsync(VoiceKeys.Ring(channelId))).Select(v => v.ToString()).ToList();
        if (rung.Count > 0)
            await bus.Publish(new CallRing(Guid.CreateVersion7(), channelId, userId, (channel as Group)?.Name, rung, at, at + CallService.RingDuration),
                context.CancellationToken);
    }

    public async Task Consume(ConsumeContext<CallEnded> context)
    {
        var (channelId, at) = context.Message;
        var db = redis.GetDatabase();
        await db.KeyDeleteAsync(VoiceKeys.Ring(channelId));
        if (await db.StringGetDeleteAsync(VoiceKeys.CallMessage(channelId)) is not { HasValue: true } id) return;
        if (await messages.GetAsync(channelId, id.ToString(), context.CancellationToken) is not { System: Storage.CallStarted started }) return;
        SystemMessage finished = started with { FinishedAt = at };
        if (!await messages.UpdateAsync(channelId, id.ToString(), new FieldUpdate().Set("system", finished), context.CancellationToken)) return;
        await events.PublishAsync(channelId, new MessageUpdateEvent(id.ToString(), channelId,
            new Dictionary<string, object?> { ["system"] = JsonSerializer.SerializeToNode(finished, StoatJson.Options) }, []));
    }
}
