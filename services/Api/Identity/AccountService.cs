using Spokes.Api.Errors;
using Spokes.Api.Models;
using Spokes.Api.Storage;

namespace Spokes.Api.Identity;

/// <summary>Accounts, logins and onboarding: the rules of Stoat's authifier and onboarding routes.</summary>
public sealed class AccountService(IAccountStore accounts, ISessionStore sessions, IUserStore users, TimeProvider clock, ILogger<AccountService> logger)
{
    private const int MaxSessionNameLength = 72;

    /// <summary>
    /// Creates a verified account (no email server is configured). An address already registered is
    /// answered exactly like a new one, so the route cannot be used to learn who has an account.
    /// </summary>
    public async Task CreateAccountAsync(CreateAccountRequest request, CancellationToken cancellationToken)
    {
        var (email, normalised) = AccountRules.ValidateEmail(request.Email);
        AccountRules.ValidatePassword(request.Password);
        if (await accounts.FindByEmailAsync(normalised, cancellationToken) is not null) return;

        var account = new Account(SecureTokens.NewId(), email, normalised, PasswordHasher.Hash(request.Password!),
            Verified: true, Disabled: false, clock.GetUtcNow());
        try
        {
            await accounts.CreateAsync(account, cancellationToken);
            logger.LogInformation("Account {AccountId} created", account.Id);
        }
        catch (DuplicateKeyException)
        {
            // Registered by a concurrent request: the same answer as above.
        }
    }

    public async Task<object> LoginAsync(LoginRequest request, CancellationToken cancellationToken)
    {
        // No account has MFA yet, so no ticket this server could have issued exists.
        if (request.MfaTicket is not null) throw StoatException.InvalidToken();
        if (request.Email is null || request.Password is null) throw StoatException.FailedValidation("email and password are required");
        var name = ValidateSessionName(request.FriendlyName ?? "Unknown");

        var account = await accounts.FindByEmailAsync(AccountRules.NormaliseEmail(request.Email), cancellationToken);
        if (!PasswordHasher.Verify(request.Password, account?.PasswordHash) || account is null) throw StoatException.InvalidCredentials();
        if (account.Disabled) return new LoginDisabled(account.Id);
        if (!account.Verified) throw StoatException.UnverifiedAccount();

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
    public async Task ChangePasswordAsync(Session session, ChangePasswordRequest request, CancellationToken cancellationToken)
    {
        var account = await ConfirmedAccountAsync(session, request.CurrentPassword, cancellationToken);
        AccountRules.ValidatePassword(request.Password);
        await accounts.UpdatePasswordAsync(account.Id, PasswordHasher.Hash(request.Password!), cancellationToken);
        logger.LogInformation("Account {AccountId} changed its password", account.Id);
    }

    /// <summary>
    /// A new address, confirmed with the current password. With no email server configured the change
    /// applies at once, as sign-up verifies at once.
    /// </summary>
    public async Task ChangeEmailAsync(Session session, ChangeEmailRequest request, CancellationToken cancellationToken)
    {
        var account = await ConfirmedAccountAsync(session, request.CurrentPassword, cancellationToken);
        var (email, normalised) = AccountRules.ValidateEmail(request.Email);
        try
        {
            await accounts.ChangeEmailAsync(account.Id, email, normalised, cancellationToken);
        }
        catch (DuplicateKeyException)
        {
            throw StoatException.IncorrectData("email");
        }
    }

    private async Task<Account> ConfirmedAccountAsync(Session session, string? currentPassword, CancellationToken cancellationToken)
    {
        var account = await accounts.GetAsync(session.UserId, cancellationToken) ?? throw StoatException.InvalidSession();
        return currentPassword is not null && PasswordHasher.Verify(currentPassword, account.PasswordHash)
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
        if (!await sessions.DeleteAsync(current.UserId, sessionId, cancellationToken)) throw StoatException.InvalidSession();
    }

    public async Task<UserResponse> OnboardAsync(Session session, OnboardRequest request, CancellationToken cancellationToken)
    {
        if (await users.GetAsync(session.UserId, cancellationToken) is not null) throw StoatException.AlreadyOnboarded();
        var username = AccountRules.ValidateUsername(request.Username);

        // A concurrent onboarding may take the discriminator we picked: pick again.
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var discriminator = AccountRules.PickDiscriminator(await users.DiscriminatorsInUseAsync(username, cancellationToken))
                                ?? throw StoatException.UsernameTaken();
            var user = new User(session.UserId, username, discriminator, null, 0, 0, false, clock.GetUtcNow());
            try
            {
                await users.CreateAsync(user, cancellationToken);
                return UserResponse.Self(user);
            }
            catch (DuplicateKeyException e) when (e.Field == "username")
            {
            }
            catch (DuplicateKeyException)
            {
                throw StoatException.AlreadyOnboarded();
            }
        }
        throw StoatException.UsernameTaken();
    }

    private static string ValidateSessionName(string? name)
    {
        var trimmed = name?.Trim() ?? "";
        return trimmed.Length is > 0 and <= MaxSessionNameLength
            ? trimmed
            : throw StoatException.FailedValidation($"friendly_name must be 1–{MaxSessionNameLength} characters");
    }
}
