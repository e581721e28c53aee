using MassTransit;
using Spokes.Api.Storage;
using Spokes.Contracts.IntegrationEvents;

namespace Spokes.Api.Push;

/// <summary>
/// Tells Pushd of friend requests sent and accepted (Stoat's <c>fr_received</c> and <c>fr_accepted</c>). A push is a
/// courtesy: with RabbitMQ away the relationship still changes, and the push is dropped after a short wait.
/// </summary>
public sealed class FriendRequestNotifier(IPublishEndpoint publisher, ILogger<FriendRequestNotifier> logger)
{
    private static readonly TimeSpan PublishTimeout = TimeSpan.FromSeconds(5);

    public Task RequestSentAsync(User from, User to) =>
        PublishAsync(new FriendRequestReceived { UserId = to.Id, FromUserId = from.Id, FromName = Name(from) });

    public Task RequestAcceptedAsync(User accepter, User requester) =>
        PublishAsync(new FriendRequestAccepted { UserId = requester.Id, AcceptedById = accepter.Id, AcceptedByName = Name(accepter) });

    /// <summary>As Stoat's pushd names the other user.</summary>
    private static string Name(User user) => user.DisplayName ?? $"{user.Username}#{user.Discriminator}";

    private async Task PublishAsync<T>(T notification) where T : IntegrationEvent
    {
        using var timeout = new CancellationTokenSource(PublishTimeout);
        try
        {
            await publisher.Publish(notification, context => context.MessageId = notification.Id, timeout.Token);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            logger.LogWarning("Friend request push not queued: {Reason}", e.Message);
        }
    }
}
