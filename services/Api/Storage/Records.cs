using System.Text.Json.Serialization;

namespace Spokes.Api.Storage;

/// <summary>
/// A login identity (authifier's account). Its id is also the id of the user it onboards into. The
/// pending tokens (verification, reset, deletion) are each unique and looked up by the stores.
/// </summary>
public sealed record Account(
    string Id,
    string Email,
    string EmailNormalised,
    string PasswordHash,
    bool Disabled,
    DateTimeOffset CreatedAt,
    EmailVerification Verification,
    MultiFactor Mfa,
    ExpiringToken? PasswordReset = null,
    AccountDeletion? Deletion = null)
{
    [JsonIgnore] public bool Verified => Verification.Status == VerificationStatus.Verified;
}

[JsonConverter(typeof(JsonStringEnumConverter<VerificationStatus>))]
public enum VerificationStatus { Verified, Pending, Moving }

/// <summary>Pending: a new account waits for its link. Moving: a change of address waits for the new address's link.</summary>
public sealed record EmailVerification(VerificationStatus Status, string? Token = null, DateTimeOffset? Expiry = null, string? NewEmail = null)
{
    public static EmailVerification Done { get; } = new(VerificationStatus.Verified);
}

public sealed record ExpiringToken(string Token, DateTimeOffset Expiry);

[JsonConverter(typeof(JsonStringEnumConverter<DeletionStatus>))]
public enum DeletionStatus { WaitingForVerification, Scheduled, Deleted }

/// <summary>Deletion waits for the emailed link, then for its grace period, then is carried out.</summary>
public sealed record AccountDeletion(DeletionStatus Status, string? Token = null, DateTimeOffset? Expiry = null, DateTimeOffset? After = null);

[JsonConverter(typeof(JsonStringEnumConverter<TotpStatus>))]
public enum TotpStatus { Disabled, Pending, Enabled }

/// <summary>The account's second factors: a TOTP secret (pending until first confirmed) and single-use recovery codes.</summary>
public sealed record MultiFactor(TotpStatus Totp, string? TotpSecret, IReadOnlyList<string> RecoveryCodes)
{
    public static MultiFactor None { get; } = new(TotpStatus.Disabled, null, []);

    [JsonIgnore] public bool Enabled => Totp == TotpStatus.Enabled;

    public bool Equals(MultiFactor? other) =>
        other is not null && Totp == other.Totp && TotpSecret == other.TotpSecret && RecoveryCodes.SequenceEqual(other.RecoveryCodes);

    public override int GetHashCode() => HashCode.Combine(Totp, TotpSecret, RecoveryCodes.Count);
}

/// <summary>
/// Proof of a recent second factor (authifier's MFA ticket). Validated tickets unlock one sensitive action;
/// authorised ones (from an email verification) log in once. Either is used up when used.
/// </summary>
public sealed record MfaTicket([property: JsonPropertyName("_id")] string Id, string AccountId, string Token, bool Validated, bool Authorised, DateTimeOffset CreatedAt,
    string? LastTotpCode = null);

/// <summary>A sign-up invite for invite-only instances (authifier's <c>invites</c>): used once, by one account.</summary>
public sealed record SignupInvite(string Code, string? ClaimedBy = null);

/// <summary>A logged-in device: its secret token, the name the user gave it and where its push notifications go, if anywhere.</summary>
public sealed record Session(string Id, string UserId, string Token, string Name, DateTimeOffset LastSeen, WebPushSubscription? Subscription = null);

/// <summary>
/// Where a session's notifications are pushed (Stoat's <c>WebPushSubscription</c>): a browser's Web Push endpoint with
/// its keys, or <c>fcm</c> / <c>apn</c> with the device token in <see cref="Auth"/>.
/// </summary>
public sealed record WebPushSubscription(string Endpoint, string P256dh, string Auth);

/// <summary>A user as stored; what clients see is built from it per viewer.</summary>
public sealed record User(
    string Id,
    string Username,
    string Discriminator,
    string? DisplayName,
    int Badges,
    int Flags,
    bool Privileged,
    DateTimeOffset CreatedAt,
    string? StatusText = null,
    string? StatusPresence = null,
    string? ProfileContent = null,
    string? BotOwner = null,
    AutumnFile? Avatar = null,
    AutumnFile? ProfileBackground = null)
{
    public bool IsBot => BotOwner is not null;
}

/// <summary>A write that would break a uniqueness rule; <see cref="Field"/> names the rule.</summary>
public sealed class DuplicateKeyException(string field) : Exception($"Another record already has this {field}.")
{
    public string Field { get; } = field;
}
