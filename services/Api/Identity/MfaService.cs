using System.Net;
using Spokes.Api.Errors;
using Spokes.Api.Models;
using Spokes.Api.Storage;

namespace Spokes.Api.Identity;

/// <summary>
/// Second factors and MFA tickets (authifier's rules): which methods an account may answer with, checking an
/// answer, and issuing and using up tickets. Answers are limited as logins are (<see cref="LoginLockout"/>,
/// <see cref="SecondFactorLimits"/>).
/// </summary>
public sealed class MfaService(
    IAccountStore accounts,
    IMfaTicketStore tickets,
    IPasswordHasher hasher,
    LoginLockout lockout,
    SecondFactorLimits limits,
    TimeProvider clock,
    ILogger<MfaService> logger)
{
    /// <summary>How long a ticket can be used after it was issued.</summary>
    public static readonly TimeSpan TicketLifetime = TimeSpan.FromMinutes(5);

    /// <summary>With TOTP on: TOTP, and recovery codes while any are left. Otherwise the password stands in.</summary>
    public static IReadOnlyList<string> Methods(Account account) => account.Mfa.Enabled
        ? account.Mfa.RecoveryCodes.Count > 0 ? ["Totp", "Recovery"] : ["Totp"]
        : ["Password"];

    /// <summary>
    /// Checks <paramref name="response"/>, given from <paramref name="address"/> (with <paramref name="ticket"/> when
    /// it answers a login's), against the account; a recovery code is used up. Returns the account as it now is. A
    /// method the account does not allow is <c>DisallowedMFAMethod</c>, a wrong password <c>InvalidCredentials</c>,
    /// a wrong or replayed code <c>InvalidToken</c>; the ticket is burned after <see cref="SecondFactorLimits.TicketFailures"/>
    /// of those.
    /// </summary>
    public async Task<Account> VerifyAsync(Account account, MfaResponse? response, MfaTicket? ticket, IPAddress? address,
        CancellationToken cancellationToken)
    {
        var (method, factor) = response switch
        {
            { Password: not null } => ("Password", LoginFactor.Password),
            { TotpCode: not null } => ("Totp", LoginFactor.SecondFactor),
            { RecoveryCode: not null } => ("Recovery", LoginFactor.SecondFactor),
            _ => throw StoatException.FailedValidation("an MFA response needs one of password, totp_code or recovery_code"),
        };
        if (!Methods(account).Contains(method)) throw StoatException.DisallowedMfaMethod();

        Account? answered = null;
        var right = await lockout.CheckAsync(factor, account.EmailNormalised, address,
            async () => (answered = await AnswerAsync(account, response!, cancellationToken)) is not null);
        if (right) return answered!;
        if (ticket is not null && await limits.CountTicketFailureAsync(ticket)) await tickets.DeleteAsync(ticket.Id, cancellationToken);
        throw factor == LoginFactor.Password ? StoatException.InvalidCredentials() : StoatException.InvalidToken();
    }

    /// <summary>The account once <paramref name="response"/> is taken, or null when it is wrong.</summary>
    private async Task<Account?> AnswerAsync(Account account, MfaResponse response, CancellationToken cancellationToken)
    {
        if (response.Password is { } password) return await hasher.VerifyAsync(password, account.PasswordHash) ? account : null;
        if (response.TotpCode is { } code)
        {
            return Totp.MatchStep(account.Mfa.TotpSecret!, code, clock.GetUtcNow()) is { } step && await limits.ClaimTotpStepAsync(account.Id, step)
                ? account
                : null;
        }
        if (RecoveryCodes.Use(account.Mfa.RecoveryCodes, response.RecoveryCode) is not { } left) return null;
        var updated = account with { Mfa = account.Mfa with { RecoveryCodes = left } };
        await accounts.UpdateAsync(updated, cancellationToken);
        logger.LogInformation("Account {AccountId} used a recovery code; {Left} left", account.Id, left.Count);
        return updated;
    }

    public async Task<MultiFactorStatus> StatusAsync(string accountId, CancellationToken cancellationToken)
    {
        var account = await GetAsync(accountId, cancellationToken);
        return new MultiFactorStatus(false, false, false, account.Mfa.Enabled, false, account.Mfa.RecoveryCodes.Count > 0);
    }

    public async Task<IReadOnlyList<string>> MethodsAsync(string accountId, CancellationToken cancellationToken) =>
        Methods(await GetAsync(accountId, cancellationToken));

    /// <summary>
    /// A validated ticket for whoever answers the challenge from <paramref name="address"/>: the session's account,
    /// or the account of the unvalidated ticket a password login handed out (used up in exchange).
    /// </summary>
    public async Task<MfaTicket> CreateValidatedTicketAsync(string accountId, MfaTicket? exchanged, MfaResponse response, IPAddress? address,
        CancellationToken cancellationToken)
    {
        await VerifyAsync(await GetAsync(accountId, cancellationToken), response, exchanged, address, cancellationToken);
        if (exchanged is not null) await UseAsync(exchanged, cancellationToken);
        return await IssueAsync(accountId, validated: true, authorised: false, cancellationToken);
    }

    public async Task<IReadOnlyList<string>> RecoveryCodesAsync(string accountId, CancellationToken cancellationToken) =>
        (await GetAsync(accountId, cancellationToken)).Mfa.RecoveryCodes;

    /// <summary>Replaces every recovery code with ten new ones.</summary>
    public async Task<IReadOnlyList<string>> RegenerateRecoveryCodesAsync(string accountId, CancellationToken cancellationToken)
    {
        var account = await GetAsync(accountId, cancellationToken);
        var codes = RecoveryCodes.Generate();
        await accounts.UpdateAsync(account with { Mfa = account.Mfa with { RecoveryCodes = codes } }, cancellationToken);
        return codes;
    }

    /// <summary>A new secret to show the user; TOTP stays off until a code made from it is confirmed.</summary>
    public async Task<string> GenerateTotpSecretAsync(string accountId, CancellationToken cancellationToken)
    {
        var account = await GetAsync(accountId, cancellationToken);
        if (account.Mfa.Enabled) throw StoatException.TotpAlreadyEnabled();
        var secret = Totp.NewSecret();
        await accounts.UpdateAsync(account with { Mfa = account.Mfa with { Totp = TotpStatus.Pending, TotpSecret = secret } }, cancellationToken);
        return secret;
    }

    /// <summary>Turns TOTP on once a code from the pending secret is given; recovery codes are made if there are none.</summary>
    public async Task EnableTotpAsync(string accountId, MfaResponse response, CancellationToken cancellationToken)
    {
        var account = await GetAsync(accountId, cancellationToken);
        if (account.Mfa.Enabled) throw StoatException.TotpAlreadyEnabled();
        if (account.Mfa is not { Totp: TotpStatus.Pending, TotpSecret: { } secret }) throw StoatException.OperationFailed();
        if (response.TotpCode is null) throw StoatException.DisallowedMfaMethod();
        if (!Totp.Verify(secret, response.TotpCode, clock.GetUtcNow())) throw StoatException.InvalidToken();
        var codes = account.Mfa.RecoveryCodes.Count > 0 ? account.Mfa.RecoveryCodes : RecoveryCodes.Generate();
        await accounts.UpdateAsync(account with { Mfa = new MultiFactor(TotpStatus.Enabled, secret, codes) }, cancellationToken);
        logger.LogInformation("Account {AccountId} turned TOTP on", account.Id);
    }

    public async Task DisableTotpAsync(string accountId, CancellationToken cancellationToken)
    {
        var account = await GetAsync(accountId, cancellationToken);
        await accounts.UpdateAsync(account with { Mfa = account.Mfa with { Totp = TotpStatus.Disabled, TotpSecret = null } }, cancellationToken);
        logger.LogInformation("Account {AccountId} turned TOTP off", account.Id);
    }

    private async Task<Account> GetAsync(string accountId, CancellationToken cancellationToken) =>
        await accounts.GetAsync(accountId, cancellationToken) ?? throw StoatException.InvalidSession();

    /// <summary>
    /// A new ticket. Validated: unlocks one sensitive action. Authorised: logs in once. Neither: stands for a
    /// login that still owes its second factor.
    /// </summary>
    public async Task<MfaTicket> IssueAsync(string accountId, bool validated, bool authorised, CancellationToken cancellationToken)
    {
        var ticket = new MfaTicket(SecureTokens.NewId(), accountId, SecureTokens.NewToken(), validated, authorised, clock.GetUtcNow());
        await tickets.CreateAsync(ticket, cancellationToken);
        return ticket;
    }

    /// <summary>The ticket behind <paramref name="token"/> if it exists and has not expired; an expired one is removed.</summary>
    public async Task<MfaTicket?> FindAsync(string? token, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(token) || await tickets.FindByTokenAsync(token, cancellationToken) is not { } ticket) return null;
        if (clock.GetUtcNow() - ticket.CreatedAt <= TicketLifetime) return ticket;
        await tickets.DeleteAsync(ticket.Id, cancellationToken);
        return null;
    }

    /// <summary>Uses the ticket up; a ticket another request used first is <c>InvalidToken</c>.</summary>
    public async Task UseAsync(MfaTicket ticket, CancellationToken cancellationToken)
    {
        if (!await tickets.DeleteAsync(ticket.Id, cancellationToken)) throw StoatException.InvalidToken();
    }
}

/// <summary>
/// A validated MFA ticket from <c>X-MFA-Ticket</c>, for the same account as the session, bound as a handler
/// parameter: the route is a sensitive action, and binding uses the ticket up.
/// </summary>
public sealed record ValidatedMfaTicket(Session Session, MfaTicket Ticket)
{
    public const string Header = "X-MFA-Ticket";

    public static async ValueTask<ValidatedMfaTicket> BindAsync(HttpContext context)
    {
        var session = (await CurrentSession.BindAsync(context)).Session;
        var token = context.Request.Headers[Header].ToString();
        if (token.Length == 0) throw StoatException.MissingHeaders();
        var mfa = context.RequestServices.GetRequiredService<MfaService>();
        var ticket = await mfa.FindAsync(token, context.RequestAborted);
        if (ticket is not { Validated: true } || ticket.AccountId != session.UserId) throw StoatException.InvalidToken();
        await mfa.UseAsync(ticket, context.RequestAborted);
        return new ValidatedMfaTicket(session, ticket);
    }
}
