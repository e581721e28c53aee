namespace Spokes.Contracts.Commands;

/// <summary>
/// Crond's <c>prune_mfa_tickets</c> task (Stoat wrote it but never scheduled it), sent to the Api, which owns MFA
/// tickets: remove every ticket that expired before <paramref name="IssuedAt"/>. Safe to repeat.
/// </summary>
public sealed record PruneExpiredMfaTickets(DateTimeOffset IssuedAt);
