namespace Spokes.Contracts.Commands;

/// <summary>
/// Crond's hourly <c>delete_accounts</c> task, sent to the Api, which owns accounts: carry out every account
/// deletion whose grace period has ended. Safe to repeat: an account already deleted is not due again.
/// </summary>
public sealed record DeleteDueAccounts(DateTimeOffset IssuedAt);
