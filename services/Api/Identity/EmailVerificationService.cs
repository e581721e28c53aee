using System.Net;
using Spokes.Api.Errors;
using Spokes.Api.Models;
using Spokes.Api.Storage;

namespace Spokes.Api.Identity;

/// <summary>
/// What arrives by email: verifying an address (a new account's, or the one an account moves to), sending the
/// link again, and resetting a forgotten password. Routes that take an address answer the same whether or not
/// an account has it.
/// </summary>
public sealed class EmailVerificationService(
    IAccountStore accounts,
    SessionRevocation revocations,
    IMfaTicketStore tickets,
    MfaService mfa,
    IPasswordHasher hasher,
    LoginLockout lockout,
    AccountMailer mailer,
    CaptchaVerifier captcha,
    TimeProvider clock,
    ILogger<EmailVerificationService> logger)
{
    /// <summary>How long a password reset link works.</summary>
    public static readonly TimeSpan ResetLifetime = TimeSpan.FromHours(1);

    /// <summary>
    /// Opens a verification link. A new account becomes verified and gets an authorised ticket that logs it
    /// in once; a moving account takes its new address.
    /// </summary>
    public async Task<VerifyResponse?> VerifyAsync(string code, CancellationToken cancellationToken)
    {
        var account = await accounts.FindByTokenAsync(AccountTokenKind.Verification, code, cancellationToken);
        if (account?.Verification is not { Expiry: { } expiry } verification || expiry < clock.GetUtcNow()) throw StoatException.InvalidToken();

        if (verification.Status == VerificationStatus.Moving)
        {
            // The new address was validated when the change was asked for.
            var email = verification.NewEmail!;
            try
            {
                await accounts.UpdateAsync(account with { Email = email, EmailNormalised = AccountRules.NormaliseEmail(email), Verification = EmailVerification.Done },
                    cancellationToken);
            }
            catch (DuplicateKeyException)
            {
                throw StoatException.IncorrectData("email");
            }
            logger.LogInformation("Account {AccountId} moved to its new address", account.Id);
            return null;
        }

        await accounts.UpdateAsync(account with { Verification = EmailVerification.Done }, cancellationToken);
        logger.LogInformation("Account {AccountId} verified its address", account.Id);
        return new VerifyResponse(await mfa.IssueAsync(account.Id, validated: false, authorised: true, cancellationToken));
    }

    /// <summary>Sends a pending account's link again, with a fresh token and expiry.</summary>
    public async Task ResendAsync(EmailRequest request, CancellationToken cancellationToken)
    {
        await captcha.RequireAsync(request.Captcha, cancellationToken);
        var (email, _) = AccountRules.ValidateEmail(request.Email);
        if (!mailer.Enabled || await accounts.FindByAddressAsync(email, cancellationToken) is not { } account || account.Verified) return;
        await SendVerificationAgainAsync(account, cancellationToken);
    }

    /// <summary>Emails a reset link. Without an email server no link can reach anyone, so the route is refused.</summary>
    public async Task SendPasswordResetAsync(EmailRequest request, CancellationToken cancellationToken)
    {
        await captcha.RequireAsync(request.Captcha, cancellationToken);
        var (email, _) = AccountRules.ValidateEmail(request.Email);
        if (!mailer.Enabled) throw StoatException.OperationFailed();
        if (await accounts.FindByAddressAsync(email, cancellationToken) is not { } account) return;
        await mailer.SendPasswordResetAsync(account.Email, await NewResetTokenAsync(account, cancellationToken), cancellationToken);
    }

    /// <summary>
    /// Someone signed up with the address of <paramref name="account"/>. As authifier does, its owner gets the
    /// verification link again while the account is pending, else a reset link with word that they already have an
    /// account; without an email server nothing is sent (nor would be for a new account).
    /// </summary>
    public async Task RemindAsync(Account account, CancellationToken cancellationToken)
    {
        if (!mailer.Enabled) return;
        if (account.Verification.Status == VerificationStatus.Pending)
        {
            await SendVerificationAgainAsync(account, cancellationToken);
            return;
        }
        await mailer.SendExistingAccountAsync(account.Email, await NewResetTokenAsync(account, cancellationToken), cancellationToken);
    }

    private async Task SendVerificationAgainAsync(Account account, CancellationToken cancellationToken)
    {
        var token = SecureTokens.NewToken(32);
        var verification = account.Verification with { Token = token, Expiry = clock.GetUtcNow() + AccountService.VerificationLifetime };
        await accounts.UpdateAsync(account with { Verification = verification }, cancellationToken);
        await mailer.SendVerificationAsync(verification.NewEmail ?? account.Email, token, cancellationToken);
    }

    private async Task<string> NewResetTokenAsync(Account account, CancellationToken cancellationToken)
    {
        var token = SecureTokens.NewToken(32);
        await accounts.UpdateAsync(account with { PasswordReset = new ExpiringToken(token, clock.GetUtcNow() + ResetLifetime) }, cancellationToken);
        return token;
    }

    /// <summary>
    /// Sets the new password from a reset link, and optionally logs every device out. Whoever opened the link reads
    /// the account's mail, so the account's login lock is lifted and <paramref name="address"/> remembered as theirs.
    /// </summary>
    public async Task ResetPasswordAsync(PasswordResetRequest request, IPAddress? address, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(request.Token)) throw StoatException.InvalidToken();
        var account = await accounts.FindByTokenAsync(AccountTokenKind.PasswordReset, request.Token, cancellationToken);
        if (account?.PasswordReset is not { } reset || reset.Expiry < clock.GetUtcNow()) throw StoatException.InvalidToken();
        AccountRules.ValidatePassword(request.Password);

        // Opening the link also proves the address.
        var verification = account.Verification.Status == VerificationStatus.Pending ? EmailVerification.Done : account.Verification;
        await accounts.UpdateAsync(account with { PasswordHash = await hasher.HashAsync(request.Password!), PasswordReset = null, Verification = verification },
            cancellationToken);
        await tickets.DeleteAllAsync(account.Id, cancellationToken);
        await lockout.ReleaseAsync(account.EmailNormalised, address);
        if (request.RemoveSessions == true) await revocations.RevokeAllAsync(account.Id, null, cancellationToken);
        logger.LogInformation("Account {AccountId} reset its password", account.Id);
    }
}
