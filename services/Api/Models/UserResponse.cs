using System.Text.Json.Serialization;
using Spokes.Api.Storage;
using Spokes.Permissions;

namespace Spokes.Api.Models;

/// <summary>Stoat's <c>User</c> as one viewer sees it; zero and false fields are left out, as Stoat does.</summary>
public sealed record UserResponse(
    [property: JsonPropertyName("_id")] string Id,
    string Username,
    string Discriminator,
    string? DisplayName,
    UserStatusResponse? Status,
    int? Badges,
    int? Flags,
    bool? Privileged,
    string Relationship,
    bool Online,
    BotInformation? Bot = null,
    AutumnFile? Avatar = null)
{
    /// <summary>A user as they see themselves; <paramref name="connected"/> says whether they have a live socket.</summary>
    public static UserResponse Self(User user, bool connected) => Seen(user, RelationshipStatus.User, Users.PresenceVisibility.ToSelf(user, connected));

    /// <summary>
    /// <paramref name="user"/> as seen by someone who stands with them as <paramref name="relationship"/>;
    /// <paramref name="online"/> is what <see cref="Users.PresenceVisibility"/> lets that viewer see.
    /// </summary>
    public static UserResponse Seen(User user, RelationshipStatus relationship, bool online) => new(
        user.Id, user.Username, user.Discriminator, user.DisplayName,
        UserStatusResponse.Of(user),
        user.Badges == 0 ? null : user.Badges,
        user.Flags == 0 ? null : user.Flags,
        user.Privileged ? true : null,
        relationship.ToString(),
        online,
        user.BotOwner is { } owner ? new BotInformation(owner) : null,
        user.Avatar);
}

/// <summary>Marks a bot's user, naming who owns it.</summary>
public sealed record BotInformation(string Owner);

public sealed record UserStatusResponse(string? Text, string? Presence)
{
    public static UserStatusResponse? Of(User user) =>
        user.StatusText is null && user.StatusPresence is null ? null : new(user.StatusText, user.StatusPresence);
}

public sealed record ProfileResponse(string? Content, AutumnFile? Background)
{
    public static ProfileResponse Of(User user) => new(user.ProfileContent, user.ProfileBackground);
}

public sealed record FlagResponse(int Flags);

public sealed record MutualResponse(IReadOnlyList<string> Users, IReadOnlyList<string> Servers, IReadOnlyList<string> Channels);

public sealed record ChangeUsernameRequest(string? Username, string? Password);

public sealed record EditUserRequest(
    string? DisplayName,
    string? Avatar,
    UserStatusResponse? Status,
    EditProfileRequest? Profile,
    int? Badges,
    int? Flags,
    List<string>? Remove);

public sealed record EditProfileRequest(string? Content, string? Background);

public sealed record SessionInfo([property: JsonPropertyName("_id")] string Id, string Name);

/// <summary>Stoat's <c>WebPushSubscription</c> as sent; see <see cref="Identity.PushSubscriptionRules"/>.</summary>
public sealed record PushSubscriptionRequest(string? Endpoint, string? P256dh, string? Auth);

public sealed record LoginSuccess(
    [property: JsonPropertyName("_id")] string Id,
    string UserId,
    string Token,
    string Name,
    string LastSeen)
{
    public string Result => "Success";
}

public sealed record LoginDisabled(string UserId)
{
    public string Result => "Disabled";
}

/// <summary>The password was right and a second factor is owed: log in again with the ticket and an MFA response.</summary>
public sealed record LoginMfa(string Ticket, IReadOnlyList<string> AllowedMethods)
{
    public string Result => "MFA";
}

/// <summary>One of the three answers to an MFA challenge.</summary>
public sealed record MfaResponse(string? Password, string? TotpCode, string? RecoveryCode);

public sealed record MultiFactorStatus(bool EmailOtp, bool TrustedHandover, bool EmailMfa, bool TotpMfa, bool SecurityKeyMfa, bool RecoveryActive);

public sealed record TotpSecretResponse(string Secret);

/// <summary>After verifying a new account: an authorised ticket that logs it in once.</summary>
public sealed record VerifyResponse(Storage.MfaTicket Ticket);

public sealed record EmailRequest(string? Email, string? Captcha);

public sealed record PasswordResetRequest(string? Token, string? Password, bool? RemoveSessions);

public sealed record AccountDeletionRequest(string? Token);

public sealed record OnboardingStatus(bool Onboarding);

public sealed record CreateAccountRequest(string? Email, string? Password, string? Invite, string? Captcha);

public sealed record LoginRequest(string? Email, string? Password, string? FriendlyName, string? MfaTicket, MfaResponse? MfaResponse);

public sealed record EditSessionRequest(string? FriendlyName);

public sealed record OnboardRequest(string? Username);

public sealed record FriendRequest(string? Username);

public sealed record AccountInfo([property: JsonPropertyName("_id")] string Id, string Email);

public sealed record ChangePasswordRequest(string? Password, string? CurrentPassword);

public sealed record ChangeEmailRequest(string? Email, string? CurrentPassword);
