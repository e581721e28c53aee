using Spokes.Api.Errors;
using Spokes.Api.Identity;
using Spokes.Api.Storage;

namespace Spokes.Api.Setup;

/// <summary>The administrators named during setup: e-mail and password accounts, verified at once (the operator chose them).</summary>
public sealed class SetupAccounts(IAccountStore accounts, IPasswordHasher hasher, TimeProvider clock, ILogger<SetupAccounts> logger)
{
    /// <summary>
    /// A new account, or an existing one whose password is given with it: an address alone never makes someone
    /// an administrator.
    /// </summary>
    public async Task<AdminEntry> AdminAsync(string? email, string? password, AdminRole role, CancellationToken cancellationToken)
    {
        string address, normalised;
        try
        {
            (address, normalised) = AccountRules.ValidateEmail(email);
            AccountRules.ValidatePassword(password);
        }
        catch (StoatException e)
        {
            throw new SetupAnswerException(e.Type switch
            {
                "ShortPassword" => "The administrator's password is too short (at least 8 characters).",
                "CompromisedPassword" => "That password is too common; choose another.",
                _ => "The administrator needs a valid e-mail address and a password of at least 8 characters.",
            });
        }

        if (await accounts.FindByEmailAsync(normalised, cancellationToken) is { } existing)
        {
            if (!await hasher.VerifyAsync(password!, existing.PasswordHash)) throw new SetupAnswerException("An account with that e-mail exists; give its password to make it an administrator.");
            return new AdminEntry(existing.Id, existing.Email, role);
        }
        var account = new Account(SecureTokens.NewId(), address, normalised, await hasher.HashAsync(password!), Disabled: false, clock.GetUtcNow(),
            EmailVerification.Done, MultiFactor.None);
        await accounts.CreateAsync(account, cancellationToken);
        logger.LogInformation("Administrator account {AccountId} created during setup", account.Id);
        return new AdminEntry(account.Id, account.Email, role);
    }
}
