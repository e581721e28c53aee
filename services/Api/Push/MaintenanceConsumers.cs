using MassTransit;
using Spokes.Api.Identity;
using Spokes.Api.Storage;
using Spokes.Contracts.Commands;

namespace Spokes.Api.Push;

/// <summary>Clears a session's push subscription that its push service no longer knows, unless the client has replaced it since.</summary>
public sealed class RemovePushSubscriptionConsumer(ISessionStore sessions, ILogger<RemovePushSubscriptionConsumer> logger) : IConsumer<RemovePushSubscription>
{
    public async Task Consume(ConsumeContext<RemovePushSubscription> context)
    {
        var gone = context.Message;
        var session = (await sessions.ListAsync(gone.UserId, context.CancellationToken)).FirstOrDefault(s => s.Id == gone.SessionId);
        if (session?.Subscription is not { } current || current.Endpoint != gone.Endpoint || current.Auth != gone.Auth) return;
        if (await sessions.SetSubscriptionAsync(gone.UserId, gone.SessionId, null, context.CancellationToken))
            logger.LogInformation("Removed the push subscription of session {Session}: its push service no longer knows it", gone.SessionId);
    }
}

/// <summary>Crond's <c>prune_mfa_tickets</c>: a ticket past its lifetime can never be used, so it need not be kept.</summary>
public sealed class PruneExpiredMfaTicketsConsumer(IMfaTicketStore tickets, ILogger<PruneExpiredMfaTicketsConsumer> logger) : IConsumer<PruneExpiredMfaTickets>
{
    public async Task Consume(ConsumeContext<PruneExpiredMfaTickets> context)
    {
        var pruned = await tickets.DeleteCreatedBeforeAsync(context.Message.IssuedAt - MfaService.TicketLifetime, context.CancellationToken);
        if (pruned > 0) logger.LogInformation("Pruned {Count} expired MFA tickets", pruned);
    }
}
