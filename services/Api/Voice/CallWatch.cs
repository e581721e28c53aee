using System.Threading.Channels;
using Spokes.Api.Community;
using Spokes.Api.Events;
using Spokes.Api.Storage;
using Spokes.Contracts.Voice;
using Spokes.Permissions;

namespace Spokes.Api.Voice;

/// <summary>
/// Keeps calls in step with the changes the Api publishes: a member who leaves, is kicked or banned, or leaves a
/// group is taken out of its calls; when permissions change (server, role, channel or member) every participant
/// of the server's calls gets what they may now do on LiveKit, or is removed when they may no longer
/// <c>Connect</c>. Done in the background, after the change is stored, as the events that announce it.
/// </summary>
public sealed class CallWatch(VoiceNodeRegistry nodes, IServiceScopeFactory scopes, ILogger<CallWatch> logger) : BackgroundService
{
    private abstract record Work;
    private sealed record LeftServer(string ServerId, string UserId) : Work;
    private sealed record LeftChannel(string ChannelId, string UserId) : Work;
    private sealed record ChannelGone(string ChannelId) : Work;
    private sealed record ServerChanged(string ServerId) : Work;
    private sealed record ChannelChanged(string ChannelId) : Work;

    private readonly Channel<Work> _queue = System.Threading.Channels.Channel.CreateBounded<Work>(
        new BoundedChannelOptions(10_000) { SingleReader = true, FullMode = BoundedChannelFullMode.DropOldest });

    /// <summary>Called for every event the Api publishes; notes those that may change a call.</summary>
    public void Notice(StoatEvent @event)
    {
        if (!nodes.Enabled) return;
        Work? work = @event switch
        {
            ServerMemberLeaveEvent leave => new LeftServer(leave.Id, leave.User),
            ChannelGroupLeaveEvent leave => new LeftChannel(leave.Id, leave.User),
            ChannelDeleteEvent deleted => new ChannelGone(deleted.Id),
            ServerUpdateEvent changed => new ServerChanged(changed.Id),
            ServerRoleUpdateEvent changed => new ServerChanged(changed.Id),
            ServerRoleDeleteEvent changed => new ServerChanged(changed.Id),
            ServerRoleRanksUpdateEvent changed => new ServerChanged(changed.Id),
            ServerMemberUpdateEvent changed => new ServerChanged(changed.Id.Server),
            ChannelUpdateEvent changed => new ChannelChanged(changed.Id),
            _ => null,
        };
        if (work is not null) _queue.Writer.TryWrite(work);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var work in _queue.Reader.ReadAllAsync(stoppingToken))
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                await ApplyAsync(work, scope.ServiceProvider, stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Calls were not brought in step with {Change}", work);
            }
        }
    }

    private static async Task ApplyAsync(Work work, IServiceProvider services, CancellationToken cancellationToken)
    {
        var states = services.GetRequiredService<VoiceStates>();
        var calls = services.GetRequiredService<CallService>();
        var channels = services.GetRequiredService<IChannelStore>();
        switch (work)
        {
            case LeftServer(var serverId, var userId):
                foreach (var channelId in await states.ChannelsOfAsync(userId))
                    if (await channels.GetAsync(channelId, cancellationToken) is not TextChannel text || text.Server == serverId)
                        await calls.HangUpAsync(channelId, userId, cancellationToken);
                break;
            case LeftChannel(var channelId, var userId):
                await calls.HangUpAsync(channelId, userId, cancellationToken);
                break;
            case ChannelGone(var channelId):
                foreach (var state in await states.InChannelAsync(channelId)) await calls.HangUpAsync(channelId, state.Id, cancellationToken);
                break;
            case ServerChanged(var serverId):
                await services.GetRequiredService<CallPermissions>().ApplyAsync(serverId, cancellationToken);
                break;
            case ChannelChanged(var channelId):
                if (await channels.GetAsync(channelId, cancellationToken) is TextChannel changed)
                    await services.GetRequiredService<CallPermissions>().ApplyAsync(changed.Server, cancellationToken);
                break;
        }
    }
}

/// <summary>Gives each participant of a server's calls what their permissions now allow (Stoat's <c>UpdateParticipant</c>).</summary>
public sealed class CallPermissions(
    IServerStore servers,
    IMemberStore members,
    IChannelStore channels,
    IUserStore users,
    CommunityAccess access,
    VoiceStates states,
    VoiceNodeRegistry nodes,
    RoomServiceClient rooms,
    CallService calls,
    Microsoft.Extensions.Options.IOptionsMonitor<Configuration.ApiOptions> options)
{
    public async Task ApplyAsync(string serverId, CancellationToken cancellationToken)
    {
        if (await servers.GetAsync(serverId, cancellationToken) is not { } server) return;
        var voiceChannels = (await channels.ListByServerAsync(serverId, cancellationToken)).OfType<TextChannel>().ToList();
        foreach (var call in await states.InChannelsAsync(voiceChannels.Select(c => c.Id)))
        {
            var channel = voiceChannels.First(c => c.Id == call.Id);
            var node = nodes.Find(await states.NodeAsync(call.Id));
            var participants = call.Participants.Select(p => p.Id).ToList();
            var found = (await users.GetManyAsync(participants, cancellationToken)).ToDictionary(u => u.Id);
            var memberOf = (await members.GetManyAsync(serverId, participants, cancellationToken)).ToDictionary(m => m.Id.User);
            foreach (var userId in participants)
            {
                var user = found.GetValueOrDefault(userId);
                var permissions = user is null || !memberOf.TryGetValue(userId, out var member)
                    ? ChannelPermission.None
                    : access.InChannel(access.At(user, server, member), channel);
                if (!permissions.HasFlag(ChannelPermission.Connect) || CallService.VoiceOf(channel) is null)
                    await calls.HangUpAsync(call.Id, userId, cancellationToken);
                else if (node is not null)
                    await rooms.UpdateParticipantAsync(node, call.Id, userId,
                        VoiceGrants.For(permissions, options.CurrentValue.Limits.For(user!.CreatedAt, access.Now)), cancellationToken);
            }
        }
    }
}
