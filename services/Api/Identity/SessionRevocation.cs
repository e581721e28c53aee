using Spokes.Api.Events;
using Spokes.Api.Storage;

namespace Spokes.Api.Identity;

/// <summary>
/// Ends sessions and tells the Events service, which logs out every socket opened with them (Stoat's internal
/// <c>DeleteSession</c> and <c>DeleteAllSessions</c> events, which no client ever receives as such).
/// </summary>
public sealed class SessionRevocation(ISessionStore sessions, EventPublisher events)
{
    public async Task<bool> RevokeAsync(string userId, string sessionId, CancellationToken cancellationToken)
    {
        if (!await sessions.DeleteAsync(userId, sessionId, cancellationToken)) return false;
        await events.PublishAsync(EventPublisher.PrivateTopic(userId), new DeleteSessionEvent(userId, sessionId));
        return true;
    }

    /// <summary>Every session of the user but <paramref name="keepSessionId"/>, if given.</summary>
    public async Task RevokeAllAsync(string userId, string? keepSessionId, CancellationToken cancellationToken)
    {
        await sessions.DeleteAllAsync(userId, keepSessionId, cancellationToken);
        await events.PublishAsync(EventPublisher.PrivateTopic(userId), new DeleteAllSessionsEvent(userId, keepSessionId));
    }
}
