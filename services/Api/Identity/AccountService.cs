using System.Net;
using Microsoft.Extensions.Options;
using Spokes.Api.Configuration;
using Spokes.Api.Errors;
using Spokes.Api.Models;
using Spokes.Api.Storage;

namespace Spokes.Api.Identity;

/// <summary>Accounts, logins and onboarding: the rules of Stoat's authifier and onboarding routes.</summary>
public sealed class AccountService(
    IAccountStore accounts,
    ISessionStore sessions,
    SessionRevocation revocations,
    IUserStore users,
    ISignupInviteStore invites,
    MfaService mfa,
    EmailVerificationService verification,
    IPasswordHasher hasher,
    LoginLockout lockout,
    AccountMailer mailer,
    CaptchaVerifier captcha,
    IOptionsMonitor<ApiOptions> options,
    TimeProvider clock,
    Setup.SetupState setup,
    Setup.DemoMode demo,
    ILogger<AccountService> logger)
{
    private const int MaxSessionNameLength = 72;

    /// <summary>How long an emailed verification link works.</summary>
    public static readonly TimeSpan VerificationLifetime = TimeSpan.FromDays(1);

    /// <summary>
    /// Creates an account: verified at once without an email server, otherwise pending until the emailed link
    /// is opened. An address already registered is answered exactly like a new one, after the same work, so the
    /// route cannot be used to learn who has an account: the password is hashed first either way (as authifier
    /// does), and with an email server the owner is mailed instead (<see cref="EmailVerificationService.RemindAsync"/>).
    /// On invite-only instances a sign-up invite is used up.
    /// </summary>
    public async Task CreateAccountAsync(CreateAccountRequest request, CancellationToken cancellationToken)
    {
        // Before setup is done, and where the operator switched built-in accounts off for an external provider.
        if (!setup.SignupsOpen) throw StoatException.OperationFailed();
        await captcha.RequireAsync(request.Captcha, cancellationToken);
        var (email, normalised) = AccountRules.ValidateEmail(request.Email);
        AccountRules.ValidatePassword(request.Password);
        var inviteOnly = options.CurrentValue.InviteOnly;
        if (inviteOnly)
        {
            if (string.IsNullOrWhiteSpace(request.Invite)) throw StoatException.MissingInvite();
            if (await invites.GetAsync(request.Invite, cancellationToken) is not { ClaimedBy: null }) throw StoatException.InvalidInvite();
        }
        var passwordHash = await hasher.HashAsync(request.Password!);
        if (await accounts.FindByAddressAsync(email, cancellationToken) is { } existing)
        {
            await verification.RemindAsync(existing, cancellationToken);
            return;
        }

        await demo.RequireRoomForAccountAsync(cancellationToken);
        var id = SecureTokens.NewId();
        // Claimed before the account exists, so two sign-ups can never share one invite.
        if (inviteOnly && !await invites.ClaimAsync(request.Invite!, id, cancellationToken)) throw StoatException.InvalidInvite();
        var pending = mailer.Enabled
            ? new EmailVerification(VerificationStatus.Pending, SecureTokens.NewToken(32), clock.GetUtcNow() + VerificationLifetime)
            : EmailVerification.Done;
        var account = new Account(id, email, normalised, passwordHash, Disabled: false, clock.GetUtcNow(), pending, MultiFactor.None);
        try
        {
            await accounts.CreateAsync(account, cancellationToken);
            logger.LogInformation("Account {AccountId} created", account.Id);
        }
        catch (DuplicateKeyException)
        {
            // Registered by a concurrent request: the same answer as above.
            return;
        }
        if (pending.Token is { } token) await mailer.SendVerificationAsync(email, token, cancellationToken);
    }

    /// <summary>
    /// Email and password, or an MFA ticket: an authorised one (from email verification) alone, or the one a
    /// password login handed out together with the second factor it owes. Wrong answers lock the account as
    /// authifier's do (<see cref="LoginLockout"/>); a completed login remembers <paramref name="address"/> for it.
    /// </summary>
    public async Task<object> LoginAsync(LoginRequest request, IPAddress? address, CancellationToken cancellationToken)
    {
        var name = ValidateSessionName(request.FriendlyName ?? "Unknown");
        Account account;
        if (request.MfaTicket is not null)
        {
            var ticket = await mfa.FindAsync(request.MfaTicket, cancellationToken) ?? throw StoatException.InvalidToken();
            account = await accounts.GetAsync(ticket.AccountId, cancellationToken) ?? throw StoatException.InvalidToken();
            if (!ticket.Authorised)
            {
                if (request.MfaResponse is null) throw StoatException.InvalidToken();
                account = await mfa.VerifyAsync(account, request.MfaResponse, ticket, address, cancellationToken);
            }
            await mfa.UseAsync(ticket, cancellationToken);
        }
        else
        {
            if (request.Email is null || request.Password is null) throw StoatException.FailedValidation("email and password are required");
            var found = await accounts.FindByAddressAsync(request.Email, cancellationToken);
            // An address without an account is counted and locked as one with, so the lock gives nothing away.
            var subject = found?.EmailNormalised ?? AccountRules.NormaliseEmail(request.Email);
            var right = await lockout.CheckAsync(LoginFactor.Password, subject, address,
                async () => await hasher.VerifyAsync(request.Password, found?.PasswordHash) && found is not null);
            account = right ? found! : throw StoatException.InvalidCredentials();
            // With built-in accounts switched off, only the administrators named at setup keep their password (the admin page's way in).
            if (!setup.PasswordLoginsOpen && !setup.Current.Admins.Any(a => a.AccountId == account.Id)) throw StoatException.OperationFailed();
            if (!account.Disabled && account.Verified && account.Mfa.Enabled)
            {
                var ticket = await mfa.IssueAsync(account.Id, validated: false, authorised: false, cancellationToken);
                return new LoginMfa(ticket.Token, MfaService.Methods(account));
            }
        }
        if (account.Disabled) return new LoginDisabled(account.Id);
        if (!account.Verified) throw StoatException.UnverifiedAccount();

        await lockout.RememberAsync(account.EmailNormalised, address);
        var session = new Session(SecureTokens.NewId(), account.Id, SecureTokens.NewToken(), name, clock.GetUtcNow());
        await sessions.CreateAsync(session, cancellationToken);
        return new LoginSuccess(session.Id, session.UserId, session.Token, session.Name, session.LastSeen.UtcDateTime.ToString("O"));
    }

    public async Task<AccountInfo> FetchAccountAsync(Session session, CancellationToken cancellationToken)
    {
        var account = await accounts.GetAsync(session.UserId, cancellationToken) ?? throw StoatException.InvalidSession();
        return new AccountInfo(account.Id, account.Email);
    }

    /// <summary>A new password, confirmed with the current one; sessions stay as they are.</summary>
    public async Task ChangePasswordAsync(Session session, ChangePasswordRequest request, IPAddress? address, CancellationToken cancellationToken)
    {
        var account = await ConfirmedAccountAsync(session, request.CurrentPassword, address, cancellationToken);
        AccountRules.ValidatePassword(request.Password);
        await accounts.UpdateAsync(account with { PasswordHash = await hasher.HashAsync(request.Password!) }, cancellationToken);
        logger.LogInformation("Account {AccountId} changed its password", account.Id);
    }

    /// <summary>
    /// A new address, confirmed with the current password. With an email server it applies once the link sent to
    /// the new address is opened, and the answer is the same whether or not another account has the address (as
    /// authifier's): only whoever reads its mail learns that it is taken, when the link is refused. Without one it
    /// applies at once, as sign-up verifies at once, so a taken address is refused here; that tells the asker no
    /// more than signing up with it and logging in would.
    /// </summary>
    public async Task ChangeEmailAsync(Session session, ChangeEmailRequest request, IPAddress? address, CancellationToken cancellationToken)
    {
        var account = await ConfirmedAccountAsync(session, request.CurrentPassword, address, cancellationToken);
        var (email, normalised) = AccountRules.ValidateEmail(request.Email);
        if (mailer.Enabled)
        {
            var token = SecureTokens.NewToken(32);
            await accounts.UpdateAsync(account with
            {
                Verification = new EmailVerification(VerificationStatus.Moving, token, clock.GetUtcNow() + VerificationLifetime, email),
            }, cancellationToken);
            await mailer.SendVerificationAsync(email, token, cancellationToken);
            return;
        }
        if (await accounts.FindByAddressAsync(email, cancellationToken) is { } holder && holder.Id != account.Id) throw StoatException.IncorrectData("email");
        try
        {
            await accounts.UpdateAsync(account with { Email = email, EmailNormalised = normalised }, cancellationToken);
        }
        catch (DuplicateKeyException)
        {
            throw StoatException.IncorrectData("email");
        }
    }

    /// <summary>The session's account once <paramref name="currentPassword"/> is confirmed; guesses lock it as login's do.</summary>
    private async Task<Account> ConfirmedAccountAsync(Session session, string? currentPassword, IPAddress? address, CancellationToken cancellationToken)
    {
        var account = await accounts.GetAsync(session.UserId, cancellationToken) ?? throw StoatException.InvalidSession();
        if (currentPassword is null) throw StoatException.InvalidCredentials();
        return await lockout.CheckAsync(LoginFactor.Password, account.EmailNormalised, address,
            () => hasher.VerifyAsync(currentPassword, account.PasswordHash))
            ? account
            : throw StoatException.InvalidCredentials();
    }

    public async Task<SessionInfo> RenameSessionAsync(Session current, string sessionId, EditSessionRequest request, CancellationToken cancellationToken)
    {
        var name = ValidateSessionName(request.FriendlyName);
        if (!await sessions.RenameAsync(current.UserId, sessionId, name, cancellationToken)) throw StoatException.InvalidSession();
        return new SessionInfo(sessionId, name);
    }

    public async Task RevokeSessionAsync(Session current, string sessionId, CancellationToken cancellationToken)
    {
        if (!await revocations.RevokeAsync(current.UserId, sessionId, cancellationToken)) throw StoatException.InvalidSession();
    }

    public async Task<UserResponse> OnboardAsync(Session session, OnboardRequest request, CancellationToken cancellationToken)
    {
        if (await users.GetAsync(session.UserId, cancellationToken) is not null) throw StoatException.AlreadyOnboarded();
        var username = AccountRules.ValidateUsername(request.Username);

        try
        {
            var user = await Users.UserCreation.CreateAsync(users, username,
                discriminator => new User(session.UserId, username, discriminator, null, 0, 0, false, clock.GetUtcNow()), cancellationToken);
            // Onboarding comes before any socket: nobody is connected yet.
            return UserResponse.Self(user, connected: false);
        }
        catch (DuplicateKeyException)
        {
            // The id is taken: this account onboarded concurrently.
            throw StoatException.AlreadyOnboarded();
        }
    }

    private static string ValidateSessionName(string? name)
    {
        var trimmed = name?.Trim() ?? "";
        return trimmed.Length is > 0 and <= MaxSessionNameLength
            ? trimmed
            : throw StoatException.FailedValidation($"friendly_name must be 1–{MaxSessionNameLength} characters");
    }
}
