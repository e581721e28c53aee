using Spokes.Api.Storage;

namespace Spokes.Api.Events;

/// <summary>
/// Tells of a change to a user as Stoat's <c>p_user</c> does: on the user's own topic (themselves, friends,
/// DM and group partners) and on the member topic <c>{server}u</c> of every server they are in, which bots
/// and the sockets that asked for that server's members (<c>Subscribe</c>) receive.
/// </summary>
public sealed class UserUpdatePublisher(EventPublisher events, IMemberStore members)
{
    public async Task PublishAsync(UserUpdateEvent update, CancellationToken cancellationToken)
    {
        await events.PublishAsync(update.Id, update);
        foreach (var server in await members.ServersOfAsync(update.Id, cancellationToken))
            await events.PublishAsync(EventPublisher.MembersTopic(server), update);
    }
}
