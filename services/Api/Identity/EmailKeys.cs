using Spokes.Api.Storage;

namespace Spokes.Api.Identity;

/// <summary>Finding an account by the address someone typed, under its key (<see cref="AccountRules.NormaliseEmail"/>).</summary>
public static class AccountLookup
{
    /// <summary>
    /// The account that <paramref name="email"/> is an address of. An account that <see cref="EmailKeyUpgrade"/> could
    /// not re-key, because an older account of the same mailbox took the key, is still found by its own address.
    /// </summary>
    public static async Task<Account?> FindByAddressAsync(this IAccountStore accounts, string email, CancellationToken cancellationToken)
    {
        var key = AccountRules.NormaliseEmail(email);
        var legacy = AccountRules.LegacyEmailKey(email);
        return (legacy != key ? await accounts.FindByEmailAsync(legacy, cancellationToken) : null)
               ?? await accounts.FindByEmailAsync(key, cancellationToken);
    }
}

/// <summary>
/// Re-keys accounts stored when an address's key was only the address lower-cased, before the Api takes
/// requests: they then log in under any form of their address, and no new account can take a tag or dot variant
/// of theirs. Where two such accounts are one mailbox, the first in id order (the older) takes the key and the
/// other keeps its old one, under which <see cref="AccountLookup"/> still finds it. Accounts already keyed by the
/// rule are left as they are, so a start after the first changes nothing.
/// </summary>
public sealed class EmailKeyUpgrade(IAccountStore accounts, ILogger<EmailKeyUpgrade> logger) : IHostedService
{
    private const int PageSize = 500;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var (rekeyed, kept) = (0, 0);
        IReadOnlyList<Account> page;
        string? after = null;
        do
        {
            page = await accounts.ListAsync(after, PageSize, cancellationToken);
            foreach (var account in page.Where(a => a.Deletion?.Status != DeletionStatus.Deleted))
            {
                var key = AccountRules.NormaliseEmail(account.Email);
                if (key == account.EmailNormalised) continue;
                try
                {
                    // An account whose address changed meanwhile was keyed by the rule when it changed.
                    if (await accounts.SetEmailNormalisedAsync(account.Id, account.Email, key, cancellationToken)) rekeyed++;
                }
                catch (DuplicateKeyException)
                {
                    kept++;
                    logger.LogWarning("Account {AccountId} keeps its old email key: an older account has the same mailbox", account.Id);
                }
            }
            after = page.Count > 0 ? page[^1].Id : after;
        } while (page.Count == PageSize);
        if (rekeyed + kept > 0) logger.LogInformation("Re-keyed {Rekeyed} accounts by their normalised email; {Kept} kept their old key", rekeyed, kept);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
