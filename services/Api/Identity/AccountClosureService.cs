using Spokes.Api.Errors;
using Spokes.Api.Events;
using Spokes.Api.Files;
using Spokes.Api.Models;
using Spokes.Api.Storage;
using Spokes.Permissions;

namespace Spokes.Api.Identity;

/// <summary>
/// Disabling and deleting an account (authifier's rules). Deletion is confirmed by email when an email server
/// is configured, then scheduled a week out with the account disabled meanwhile; the scheduled job (Crond's
/// <c>delete_accounts</c>) carries it out.
/// </summary>
public sealed class AccountClosureService(
    IAccountStore accounts,
    SessionRevocation revocations,
    IMfaTicketStore tickets,
    IUserStore users,
    AccountMailer mailer,
    UserUpdatePublisher userUpdates,
    TimeProvider clock,
    IFileClaims files,
    ILogger<AccountClosureService> logger)
{
    /// <summary>Time to change one's mind: the account stays disabled, not gone, until then.</summary>
    public static readonly TimeSpan DeletionGracePeriod = TimeSpan.FromDays(7);

    /// <summary>Stoat's <c>UserFlags::Deleted</c>.</summary>
    public const int DeletedFlag = 2;

    private const string DeletedUsername = "Deleted User";

    /// <summary>Disables the account and logs every device out; logging in then answers <c>Disabled</c>.</summary>
    public async Task DisableAsync(string accountId, CancellationToken cancellationToken)
    {
        var account = await accounts.GetAsync(accountId, cancellationToken) ?? throw StoatException.InvalidSession();
        await DisableAsync(account with { Disabled = true }, cancellationToken);
        logger.LogInformation("Account {AccountId} disabled", account.Id);
    }

    /// <summary>Starts deletion: an emailed confirmation link, or (without email) the grace period at once.</summary>
    public async Task RequestDeletionAsync(string accountId, CancellationToken cancellationToken)
    {
        var account = await accounts.GetAsync(accountId, cancellationToken) ?? throw StoatException.InvalidSession();
        if (!mailer.Enabled)
        {
            await ScheduleAsync(account, cancellationToken);
            return;
        }
        var token = SecureTokens.NewToken(32);
        await accounts.UpdateAsync(account with
        {
            Deletion = new AccountDeletion(DeletionStatus.WaitingForVerification, token, clock.GetUtcNow() + AccountService.VerificationLifetime),
        }, cancellationToken);
        await mailer.SendDeletionAsync(account.Email, token, cancellationToken);
    }

    /// <summary>Opens the emailed deletion link.</summary>
    public async Task ConfirmDeletionAsync(AccountDeletionRequest request, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(request.Token)) throw StoatException.InvalidToken();
        var account = await accounts.FindByTokenAsync(AccountTokenKind.Deletion, request.Token, cancellationToken);
        if (account?.Deletion is not { Status: DeletionStatus.WaitingForVerification, Expiry: { } expiry } || expiry < clock.GetUtcNow())
            throw StoatException.InvalidToken();
        await ScheduleAsync(account, cancellationToken);
    }

    /// <summary>
    /// Carries out every deletion that is due: the user becomes "Deleted User" with Stoat's Deleted flag and no
    /// profile or relationships, and the account frees its address and can never log in again.
    /// </summary>
    public async Task<int> DeleteDueAsync(CancellationToken cancellationToken)
    {
        var due = await accounts.DueForDeletionAsync(clock.GetUtcNow(), cancellationToken);
        foreach (var account in due)
        {
            if (await users.GetAsync(account.Id, cancellationToken) is { } user) await AnonymiseAsync(user, cancellationToken);
            await revocations.RevokeAllAsync(account.Id, null, cancellationToken);
            await tickets.DeleteAllAsync(account.Id, cancellationToken);
            var address = $"{account.Id.ToLowerInvariant()}@deleted.invalid";
            await accounts.UpdateAsync(account with
            {
                Email = address, EmailNormalised = address, PasswordHash = "", Disabled = true, Mfa = MultiFactor.None, PasswordReset = null,
                Verification = EmailVerification.Done, Deletion = new AccountDeletion(DeletionStatus.Deleted),
            }, cancellationToken);
            logger.LogInformation("Account {AccountId} deleted", account.Id);
        }
        return due.Count;
    }

    private async Task ScheduleAsync(Account account, CancellationToken cancellationToken)
    {
        var after = clock.GetUtcNow() + DeletionGracePeriod;
        await DisableAsync(account with { Disabled = true, Deletion = new AccountDeletion(DeletionStatus.Scheduled, After: after) }, cancellationToken);
        logger.LogInformation("Account {AccountId} scheduled for deletion after {After:O}", account.Id, after);
    }

    private async Task DisableAsync(Account disabled, CancellationToken cancellationToken)
    {
        await accounts.UpdateAsync(disabled, cancellationToken);
        await revocations.RevokeAllAsync(disabled.Id, null, cancellationToken);
        await tickets.DeleteAllAsync(disabled.Id, cancellationToken);
    }

    private async Task AnonymiseAsync(User user, CancellationToken cancellationToken)
    {
        foreach (var other in (await users.GetRelationshipsAsync(user.Id, cancellationToken)).Keys)
            await users.SetRelationshipAsync(user.Id, other, RelationshipStatus.None, RelationshipStatus.None, cancellationToken);
        var anonymous = user with
        {
            DisplayName = null, StatusText = null, StatusPresence = null, ProfileContent = null, Avatar = null, ProfileBackground = null,
            Flags = user.Flags | DeletedFlag,
        };
        await users.UpdateProfileAsync(anonymous, cancellationToken);
        await files.ReleaseAsync([user.Avatar, user.ProfileBackground], cancellationToken);
        var data = new Dictionary<string, object?> { ["flags"] = anonymous.Flags };
        // Keep the old name only in the unlikely case that every "Deleted User" discriminator is taken.
        if (AccountRules.PickDiscriminator(await users.DiscriminatorsInUseAsync(DeletedUsername, cancellationToken)) is { } discriminator)
        {
            try
            {
                await users.ChangeUsernameAsync(user.Id, DeletedUsername, discriminator, cancellationToken);
                data["username"] = DeletedUsername;
                data["discriminator"] = discriminator;
            }
            catch (DuplicateKeyException)
            {
                logger.LogWarning("User {UserId} keeps their username: the picked discriminator was taken meanwhile", user.Id);
            }
        }
        await userUpdates.PublishAsync(new UserUpdateEvent(user.Id, data,
            ["DisplayName", "StatusText", "StatusPresence", "ProfileContent", "Avatar", "ProfileBackground"], SecureTokens.NewId()),
            cancellationToken);
    }
}
