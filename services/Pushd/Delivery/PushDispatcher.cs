using System.Diagnostics;
using MassTransit;
using Microsoft.Extensions.Options;
using Spokes.Contracts.Commands;
using Spokes.Contracts.Push.V1;
using Spokes.Pushd.Notifications;

namespace Spokes.Pushd.Delivery;

/// <summary>Asks the Api, which keeps sessions, to drop a subscription its push service no longer knows.</summary>
public interface ISubscriptionRemover
{
    Task RemoveAsync(RemovePushSubscription command, CancellationToken cancellationToken);
}

public sealed class BusSubscriptionRemover(IPublishEndpoint publisher) : ISubscriptionRemover
{
    public Task RemoveAsync(RemovePushSubscription command, CancellationToken cancellationToken) => publisher.Publish(command, cancellationToken);
}

/// <summary>
/// Delivers one event's notification to users: asks the Api for their subscriptions and settings, a chunk at a time,
/// keeps those the settings let through, and sends to each subscription at most once per event, several at a time.
/// One recipient's failure never stops the others; a subscription the push service no longer knows is removed.
/// </summary>
public sealed class PushDispatcher(
    PushTargets.PushTargetsClient api,
    IEnumerable<IPushSender> senders,
    IDeliveryLedger ledger,
    ISubscriptionRemover remover,
    PushMetrics metrics,
    IOptions<PushdOptions> options,
    ILogger<PushDispatcher> logger)
{
    private readonly Dictionary<PushService, IPushSender> _senders = senders.ToDictionary(s => s.Service);
    private readonly PushdOptions _options = options.Value;

    /// <summary>An event for one user's devices (friend requests, generic notifications): all of them, once.</summary>
    public async Task DeliverToUserOnceAsync(Guid eventId, Notification notification, string userId, CancellationToken cancellationToken)
    {
        if (await ledger.IsCompleteAsync(eventId)) return;
        await DeliverAsync(eventId, notification, [userId], null, cancellationToken);
        await ledger.CompleteAsync(eventId);
    }

    /// <param name="notifies">Whether a user with these settings is to be told; null tells everyone.</param>
    public async Task DeliverAsync(Guid eventId, Notification notification, IReadOnlyCollection<string> userIds,
        Func<string, NotificationSettings, bool>? notifies, CancellationToken cancellationToken)
    {
        foreach (var chunk in userIds.Distinct().Chunk(Math.Max(1, _options.ChunkSize)))
        {
            var request = new RecipientsRequest();
            request.UserIds.AddRange(chunk);
            var reply = await api.RecipientsAsync(request, cancellationToken: cancellationToken);
            var targets = reply.Recipients
                .Where(r => r.Subscriptions.Count > 0 && (notifies is null || notifies(r.UserId, NotificationSettings.Parse(r.NotificationSettingsJson))))
                .SelectMany(r => r.Subscriptions.Select(s => new PushTarget(r.UserId, s.SessionId, s.Endpoint, s.P256Dh, s.Auth)))
                .ToList();
            await Parallel.ForEachAsync(targets, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, _options.Concurrency), CancellationToken = cancellationToken },
                async (target, token) => await DeliverAsync(eventId, notification, target, token));
        }
    }

    private async Task DeliverAsync(Guid eventId, Notification notification, PushTarget target, CancellationToken cancellationToken)
    {
        if (!_senders.TryGetValue(target.Service, out var sender))
        {
            logger.LogDebug("No {Service} credentials configured; session {Session} not notified", target.Service, target.SessionId);
            return;
        }
        if (!await ledger.TryClaimAsync(eventId, target.SessionId)) return;

        // Once claimed, the push finishes under its own deadline, not the consume's: a consume cancelled because the
        // broker went away or Pushd is stopping may already have reached the push service, and its redelivery must find
        // the claim rather than send it again.
        var started = Stopwatch.GetTimestamp();
        DeliveryOutcome outcome;
        using var deadline = new CancellationTokenSource(_options.SendTimeout);
        try
        {
            outcome = await sender.SendAsync(target, notification, deadline.Token);
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "{Service} delivery to session {Session} failed", target.Service, target.SessionId);
            outcome = DeliveryOutcome.Failed;
        }
        metrics.Record(target.Service, outcome, Stopwatch.GetElapsedTime(started));
        if (outcome == DeliveryOutcome.Gone)
        {
            logger.LogInformation("{Service} subscription of session {Session} is gone; removing it", target.Service, target.SessionId);
            await remover.RemoveAsync(new RemovePushSubscription(target.UserId, target.SessionId, target.Endpoint, target.Auth), cancellationToken);
        }
    }
}
