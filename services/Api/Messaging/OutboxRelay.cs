using System.Text.Json;
using MassTransit;
using Spokes.Api.Storage;
using Spokes.Contracts.IntegrationEvents;

namespace Spokes.Api.Messaging;

/// <summary>Wakes the relay as soon as a write has queued integration events, instead of at its next poll.</summary>
public sealed class OutboxSignal : WakeSignal;

public static class Outbox
{
    private static readonly Dictionary<string, Type> EventTypes = typeof(IntegrationEvent).Assembly.GetTypes()
        .Where(t => t.IsSubclassOf(typeof(IntegrationEvent)) && !t.IsAbstract)
        .ToDictionary(t => t.FullName!);

    /// <summary>The entry that publishes <paramref name="integrationEvent"/>; its id becomes the RabbitMQ message id.</summary>
    public static OutboxEntry Entry(IntegrationEvent integrationEvent) => new(
        integrationEvent.Id, integrationEvent.GetType().FullName!, JsonSerializer.Serialize(integrationEvent, integrationEvent.GetType()), integrationEvent.CreatedAt);

    public static (IntegrationEvent Event, Type Type) Read(OutboxEntry entry)
    {
        var type = EventTypes.GetValueOrDefault(entry.MessageType)
            ?? throw new InvalidOperationException($"The outbox holds an unknown event type '{entry.MessageType}'.");
        return ((IntegrationEvent)JsonSerializer.Deserialize(entry.Body, type)!, type);
    }
}

/// <summary>
/// Publishes queued integration events to RabbitMQ, removing each only after the broker has confirmed it. While
/// RabbitMQ is away the entries wait, and go out when it is back. Delivery is at least once: each event keeps its id
/// as the message id, which consumers use to drop a repeat.
/// </summary>
public sealed class OutboxRelay(IServiceProvider services, IOutboxStore outbox, OutboxSignal signal, ILogger<OutboxRelay> logger) : BackgroundService
{
    private static readonly TimeSpan Poll = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan PublishTimeout = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(10);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var backoff = TimeSpan.Zero;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (backoff > TimeSpan.Zero) await Task.Delay(backoff, stoppingToken);
                var published = await PublishPendingAsync(stoppingToken);
                backoff = TimeSpan.Zero;
                if (published == 0) await signal.WaitAsync(Poll, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                backoff = backoff == TimeSpan.Zero ? TimeSpan.FromMilliseconds(500) : TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
                logger.LogWarning("Integration events wait in the outbox: {Reason}. Retrying in {Backoff}.", e.Message, backoff);
            }
        }
    }

    /// <summary>
    /// Publishes the oldest pending entries side by side, so their confirms are awaited together rather than one round
    /// trip after another, and removes those the broker confirmed in one write: a write per entry would take the
    /// store's single writer from the requests as often as they send. No consumer depends on the order of events (each
    /// stands alone, and a repeat is dropped), so none is kept.
    /// </summary>
    private async Task<int> PublishPendingAsync(CancellationToken stoppingToken)
    {
        var pending = await outbox.PendingAsync(100, stoppingToken);
        if (pending.Count == 0) return 0;
        var bus = services.GetRequiredService<IBus>();
        var publishes = pending.Select(entry => PublishAsync(bus, entry, stoppingToken)).ToList();
        try
        {
            await Task.WhenAll(publishes);
        }
        finally
        {
            // What the broker confirmed leaves the outbox even when another entry failed or the Api is stopping, so it is not published again.
            var confirmed = publishes.Where(p => p.IsCompletedSuccessfully).Select(p => p.Result).ToList();
            if (confirmed.Count > 0) await outbox.CompleteAsync(confirmed, CancellationToken.None);
        }
        return pending.Count;
    }

    private static async Task<Guid> PublishAsync(IBus bus, OutboxEntry entry, CancellationToken stoppingToken)
    {
        var (integrationEvent, type) = Outbox.Read(entry);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        timeout.CancelAfter(PublishTimeout);
        await bus.Publish(integrationEvent, type, context => context.MessageId = entry.Id, timeout.Token);
        return entry.Id;
    }
}
