using System.Net;
using System.Runtime.CompilerServices;

namespace Spokes.Api.Errors;

/// <summary>
/// A refusal in Stoat's terms, thrown where the Api refuses: its <see cref="Error"/> is answered with the status
/// Stoat gives that type (crates/core/result/src/rocket.rs; authifier's errors for /auth routes).
/// </summary>
public sealed class StoatException : Exception
{
    public StoatException(string type, HttpStatusCode status, IReadOnlyDictionary<string, object>? fields = null,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) : base(type)
    {
        Error = StoatError.Raised(type, status, fields, file, line);
    }

    /// <summary>What the client is answered.</summary>
    public StoatError Error { get; }

    public string Type => Error.Type;

    public HttpStatusCode Status => Error.Status;

    public IReadOnlyDictionary<string, object> Fields => Error.Fields;

    public string Location => Error.Location;

    private static Dictionary<string, object> Field(string name, object value) => new() { [name] = value };

    public static StoatException NotAuthenticated([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new("NotAuthenticated", HttpStatusCode.Unauthorized, null, file, line);
    public static StoatException InvalidSession([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new("InvalidSession", HttpStatusCode.Unauthorized, null, file, line);
    public static StoatException InvalidCredentials([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new("InvalidCredentials", HttpStatusCode.Unauthorized, null, file, line);
    public static StoatException InvalidToken([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new("InvalidToken", HttpStatusCode.Unauthorized, null, file, line);
    /// <summary>Too many wrong answers to log in to this account; authifier's lockout.</summary>
    public static StoatException LockedOut([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new("LockedOut", HttpStatusCode.Forbidden, null, file, line);
    public static StoatException UnverifiedAccount([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new("UnverifiedAccount", HttpStatusCode.Forbidden, null, file, line);
    public static StoatException EmailFailed([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new("EmailFailed", HttpStatusCode.InternalServerError, null, file, line);
    public static StoatException CaptchaFailed([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new("CaptchaFailed", HttpStatusCode.BadRequest, null, file, line);
    public static StoatException MissingInvite([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new("MissingInvite", HttpStatusCode.BadRequest, null, file, line);
    public static StoatException InvalidInvite([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new("InvalidInvite", HttpStatusCode.BadRequest, null, file, line);
    public static StoatException DisallowedMfaMethod([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new("DisallowedMFAMethod", HttpStatusCode.BadRequest, null, file, line);
    public static StoatException TotpAlreadyEnabled([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new("TotpAlreadyEnabled", HttpStatusCode.BadRequest, null, file, line);
    public static StoatException MissingHeaders([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new("MissingHeaders", HttpStatusCode.BadRequest, null, file, line);
    public static StoatException OperationFailed([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new("OperationFailed", HttpStatusCode.BadRequest, null, file, line);
    public static StoatException CompromisedPassword([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new("CompromisedPassword", HttpStatusCode.BadRequest, null, file, line);
    public static StoatException ShortPassword([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new("ShortPassword", HttpStatusCode.BadRequest, null, file, line);
    public static StoatException IncorrectData(string with, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new("IncorrectData", HttpStatusCode.BadRequest, Field("with", with), file, line);
    public static StoatException FailedValidation(string error, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new("FailedValidation", HttpStatusCode.BadRequest, Field("error", error), file, line);
    public static StoatException AlreadyOnboarded([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new("AlreadyOnboarded", HttpStatusCode.Forbidden, null, file, line);
    public static StoatException InvalidUsername([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new("InvalidUsername", HttpStatusCode.BadRequest, null, file, line);
    public static StoatException UsernameTaken([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new("UsernameTaken", HttpStatusCode.Conflict, null, file, line);
    public static StoatException UnknownUser([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new("UnknownUser", HttpStatusCode.NotFound, null, file, line);
    public static StoatException NoEffect([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new("NoEffect", HttpStatusCode.BadRequest, null, file, line);
    public static StoatException InvalidProperty([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new("InvalidProperty", HttpStatusCode.BadRequest, null, file, line);
    public static StoatException AlreadyFriends([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new("AlreadyFriends", HttpStatusCode.Conflict, null, file, line);
    public static StoatException AlreadySentRequest([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new("AlreadySentRequest", HttpStatusCode.Conflict, null, file, line);
    public static StoatException Blocked([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new("Blocked", HttpStatusCode.Conflict, null, file, line);
    public static StoatException BlockedByOther([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new("BlockedByOther", HttpStatusCode.Forbidden, null, file, line);
    public static StoatException TooManyPendingFriendRequests(int max, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new("TooManyPendingFriendRequests", HttpStatusCode.BadRequest, Field("max", max), file, line);
    public static StoatException UnknownAttachment([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new("UnknownAttachment", HttpStatusCode.BadRequest, null, file, line);
    public static StoatException NotPrivileged([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new("NotPrivileged", HttpStatusCode.Forbidden, null, file, line);
    public static StoatException NotFound([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new("NotFound", HttpStatusCode.NotFound, null, file, line);
    public static StoatException InternalError([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new("InternalError", HttpStatusCode.InternalServerError, null, file, line);
    public static StoatException UnknownChannel([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new("UnknownChannel", HttpStatusCode.NotFound, null, file, line);
    public static StoatException InvalidRole([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new("InvalidRole", HttpStatusCode.NotFound, null, file, line);
    public static StoatException AlreadyInServer([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new("AlreadyInServer", HttpStatusCode.Conflict, null, file, line);
    public static StoatException AlreadyInGroup([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new("AlreadyInGroup", HttpStatusCode.Conflict, null, file, line);
    public static StoatException NotInGroup([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new("NotInGroup", HttpStatusCode.NotFound, null, file, line);
    public static StoatException Banned([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new("Banned", HttpStatusCode.Forbidden, null, file, line);
    public static StoatException NotFriends([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new("NotFriends", HttpStatusCode.Forbidden, null, file, line);
    public static StoatException NotOwner([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new("NotOwner", HttpStatusCode.Forbidden, null, file, line);
    public static StoatException CannotRemoveYourself([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new("CannotRemoveYourself", HttpStatusCode.BadRequest, null, file, line);
    public static StoatException CannotTimeoutYourself([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new("CannotTimeoutYourself", HttpStatusCode.BadRequest, null, file, line);
    public static StoatException InvalidOperation([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new("InvalidOperation", HttpStatusCode.BadRequest, null, file, line);
    public static StoatException TooManyServers(int max, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new("TooManyServers", HttpStatusCode.BadRequest, Field("max", max), file, line);
    public static StoatException TooManyChannels(int max, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new("TooManyChannels", HttpStatusCode.BadRequest, Field("max", max), file, line);
    public static StoatException TooManyRoles(int max, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new("TooManyRoles", HttpStatusCode.BadRequest, Field("max", max), file, line);
    public static StoatException UnknownMessage([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new("UnknownMessage", HttpStatusCode.NotFound, null, file, line);
    public static StoatException CannotEditMessage([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new("CannotEditMessage", HttpStatusCode.Forbidden, null, file, line);
    public static StoatException EmptyMessage([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new("EmptyMessage", HttpStatusCode.BadRequest, null, file, line);
    public static StoatException PayloadTooLarge([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new("PayloadTooLarge", HttpStatusCode.RequestEntityTooLarge, null, file, line);
    public static StoatException TooManyAttachments(int max, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new("TooManyAttachments", HttpStatusCode.BadRequest, Field("max", max), file, line);
    public static StoatException TooManyEmbeds(int max, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new("TooManyEmbeds", HttpStatusCode.BadRequest, Field("max", max), file, line);
    public static StoatException TooManyReplies(int max, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new("TooManyReplies", HttpStatusCode.BadRequest, Field("max", max), file, line);
    public static StoatException DuplicateNonce([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new("DuplicateNonce", HttpStatusCode.Conflict, null, file, line);
    public static StoatException AlreadyPinned([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new("AlreadyPinned", HttpStatusCode.BadRequest, null, file, line);
    public static StoatException NotPinned([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new("NotPinned", HttpStatusCode.BadRequest, null, file, line);
    public static StoatException CannotReportYourself([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new("CannotReportYourself", HttpStatusCode.BadRequest, null, file, line);
    public static StoatException IsBot([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new("IsBot", HttpStatusCode.BadRequest, null, file, line);
    public static StoatException BotIsPrivate([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new("BotIsPrivate", HttpStatusCode.Forbidden, null, file, line);
    public static StoatException ReachedMaximumBots([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new("ReachedMaximumBots", HttpStatusCode.BadRequest, null, file, line);
    public static StoatException TooManyEmoji(int max, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new("TooManyEmoji", HttpStatusCode.BadRequest, Field("max", max), file, line);
    /// <summary>The channel's slowmode has not run out for this sender; <paramref name="retryAfter"/> is in milliseconds.</summary>
    public static StoatException SlowmodeActive(long retryAfter, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new("SlowmodeActive", HttpStatusCode.TooManyRequests, Field("retry_after", retryAfter), file, line);
    public static StoatException GroupTooLarge(int max, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new("GroupTooLarge", HttpStatusCode.BadRequest, Field("max", max), file, line);
}
