using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using MassTransit;
using Microsoft.Extensions.Options;
using Spokes.Api.Community;
using Spokes.Api.Configuration;
using Spokes.Api.Errors;
using Spokes.Api.Events;
using Spokes.Api.Storage;
using Spokes.Contracts.Voice;
using Spokes.Permissions;
using StackExchange.Redis;

namespace Spokes.Api.Voice;

/// <summary>Stoat's <c>DataJoinCall</c>.</summary>
public sealed record JoinCallRequest(string? Node, bool? ForceDisconnect, IReadOnlyList<string>? Recipients);

/// <summary>Stoat's <c>CreateVoiceUserResponse</c>: the LiveKit token and the node's address.</summary>
public sealed record JoinCallResponse(string Token, string Url);

/// <summary>
/// Joining a call as Stoat does (<c>POST /channels/{id}/join_call</c>): the channel must take calls and the user
/// may <c>Connect</c>; a full call is closed but to <c>ManageChannel</c>; the call's node is the one it is on
/// already, else the one asked for; a user is in one call at a time unless they hang up the others. The answer
/// is a LiveKit token for the channel's room, which is created (or found) on the node first.
/// </summary>
public sealed class CallService(
    CommunityAccess access,
    VoiceNodeRegistry nodes,
    VoiceStates states,
    RoomServiceClient rooms,
    EventPublisher events,
    IConnectionMultiplexer redis,
    IPublishEndpoint bus,
    IOptionsMonitor<ApiOptions> options,
    Setup.DemoMode demo,
    ILogger<CallService> logger)
{
    /// <summary>LiveKit tokens are for connecting at once: Stoat's live ten seconds.</summary>
    public static readonly TimeSpan TokenLifetime = TimeSpan.FromSeconds(10);

    /// <summary>How long a DM or group call rings (Stoat's <c>call_ring_duration</c>).</summary>
    public static readonly TimeSpan RingDuration = TimeSpan.FromSeconds(30);

    public async Task<JoinCallResponse> JoinAsync(User actor, string channelId, JoinCallRequest request, CancellationToken cancellationToken)
    {
        if (!nodes.Enabled) throw Error("LiveKitUnavailable");
        if (actor.IsBot && request.ForceDisconnect == true) throw Error("IsBot");
        var at = await access.InChannelAsync(actor, channelId, cancellationToken);
        var voice = VoiceOf(at.Channel) ?? throw Error("NotAVoiceChannel");
        at.Require(ChannelPermission.Connect);
        if (voice.MaxUsers is { } max && !at.Permissions.HasFlag(ChannelPermission.ManageChannel) && await states.CountAsync(channelId) >= max)
            throw Error("CannotJoinCall");
        if (demo.Applies && !demo.HasRoomInCall(await states.CountAsync(channelId))) throw Error("CannotJoinCall");

        var node = nodes.Find(await states.NodeAsync(channelId) ?? request.Node ?? (nodes.All.Count == 1 ? nodes.All[0].Name : null))
            ?? throw Error("UnknownNode");

        var current = await states.ChannelsOfAsync(actor.Id);
        if (request.ForceDisconnect == true)
        {
            foreach (var previous in current) await HangUpAsync(previous, actor.Id, cancellationToken);
        }
        // Bots may be in several calls, but not twice in one.
        else if (actor.IsBot ? current.Contains(channelId) : current.Count > 0)
        {
            throw Error("AlreadyConnected");
        }

        var grants = VoiceGrants.For(at.Permissions, options.CurrentValue.Limits.For(actor.CreatedAt, access.Now));
        var user = (await access.SeenByAsync(actor, [actor.Id], cancellationToken)).Single();
        var token = LiveKitJwt.Sign(node.ApiKey, node.ApiSecret, new JsonObject
        {
            ["sub"] = actor.Id,
            ["jti"] = actor.Id,
            ["name"] = $"{actor.Username}#{actor.Discriminator}",
            ["metadata"] = JsonSerializer.Serialize(user, StoatJson.Options),
            ["video"] = new JsonObject
            {
                ["roomJoin"] = true,
                ["room"] = channelId,
                ["canPublish"] = grants.CanPublish,
                ["canPublishData"] = false,
                ["canPublishSources"] = new JsonArray(grants.Sources.Select(s => (JsonNode)s).ToArray()),
                ["canSubscribe"] = grants.CanSubscribe,
            },
        }, TokenLifetime, access.Now);

        int inRoom;
        try
        {
            inRoom = await rooms.CreateRoomAsync(node, channelId, (at.Channel as TextChannel)?.Server, cancellationToken);
        }
        catch (LiveKitException e)
        {
            logger.LogError(e, "LiveKit node '{Node}' refused to create the room of channel {Channel}", node.Name, channelId);
            throw new StoatException("InternalError", HttpStatusCode.InternalServerError);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            // Unreachable or silent: the call cannot happen now, which the client is told as Stoat tells "no voice".
            logger.LogWarning(e, "LiveKit node '{Node}' did not answer at {Url}", node.Name, node.Url);
            throw Error("LiveKitUnavailable");
        }
        await states.ClaimNodeAsync(channelId, node.Name);

        if (inRoom == 0 && request.Recipients is { Count: > 0 } recipients && at.Channel is DirectMessage or Group)
        {
            // Rung when the call starts (the first participant's webhook); only people in the channel can be rung.
            var members = at.Channel.PrivateUsers().Where(u => u != actor.Id).ToHashSet();
            var rung = recipients.Where(members.Contains).Distinct().Select(u => (RedisValue)u).ToArray();
            if (rung.Length > 0)
            {
                var db = redis.GetDatabase();
                await db.KeyDeleteAsync(VoiceKeys.Ring(channelId));
                await db.SetAddAsync(VoiceKeys.Ring(channelId), rung);
                await db.KeyExpireAsync(VoiceKeys.Ring(channelId), RingDuration);
            }
        }
        return new JoinCallResponse(token, node.PublicUrl);
    }

    /// <summary>
    /// Stoat's <c>end_ring</c>: someone in a DM or group call stops ringing one of the channel's other users, who is
    /// not rung if the call has not rung yet, and whose devices are told to stop if it has.
    /// </summary>
    public async Task StopRingAsync(User actor, string channelId, string targetUserId, CancellationToken cancellationToken)
    {
        if (!nodes.Enabled) throw Error("LiveKitUnavailable");
        // Someone who cannot see the channel learns nothing of it, not even whether it takes calls.
        var at = (await access.InChannelAsync(actor, channelId, cancellationToken)).Require(ChannelPermission.ViewChannel);
        if (at.Channel is not (DirectMessage or Group)) throw StoatException.NoEffect();
        if (await states.GetAsync(channelId, actor.Id) is null) throw Error("NotConnected");
        if (targetUserId == actor.Id || !at.Channel.PrivateUsers().Contains(targetUserId)) throw StoatException.NotFound();
        await redis.GetDatabase().SetRemoveAsync(VoiceKeys.Ring(channelId), targetUserId);
        await bus.Publish(new CallRingEnded(Guid.CreateVersion7(), channelId, actor.Id, [targetUserId]), cancellationToken);
    }

    /// <summary>Takes the user out of the channel's call: on LiveKit if it still answers, in the voice state in any case.</summary>
    public async Task HangUpAsync(string channelId, string userId, CancellationToken cancellationToken)
    {
        if (nodes.Find(await states.NodeAsync(channelId)) is { } node)
        {
            try
            {
                await rooms.RemoveParticipantAsync(node, channelId, userId, cancellationToken);
            }
            catch (Exception e) when (e is LiveKitException or HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                // The participant may have gone already (LiveKit answers not_found): the state is cleared below either way.
            }
        }
        if ((await states.RemoveAsync(channelId, userId)).Removed)
            await events.PublishAsync(channelId, new VoiceEvent("VoiceChannelLeave", VoiceEvents.Leave(channelId, userId)));
    }

    /// <summary>Stoat's <c>channel.voice()</c>: DMs and groups always take calls, server channels when they have voice settings.</summary>
    public static VoiceInformation? VoiceOf(Channel channel) => channel switch
    {
        TextChannel text => text.Voice,
        DirectMessage or Group => new VoiceInformation(null),
        _ => null,
    };

    private static StoatException Error(string type) => new(type, HttpStatusCode.BadRequest);
}

/// <summary>A voice event whose JSON <see cref="VoiceEvents"/> wrote, so the Api and Voice-Ingress send the same shape.</summary>
public sealed record VoiceEvent(string Name, string Json) : StoatEvent
{
    public override string Type => Name;

    public override string ToJson() => Json;
}
