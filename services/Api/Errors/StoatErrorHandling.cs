using System.Net;
using Spokes.Permissions;

namespace Spokes.Api.Errors;

/// <summary>
/// The Api's own refusals in Stoat's terms, for the error handling every service shares (ServiceDefaults'
/// <see cref="StoatErrorDefaults"/>): domain refusals and permission refusals.
/// </summary>
public static class StoatErrorHandling
{
    public static StoatError? Translate(Exception exception) => exception switch
    {
        StoatException stoat => stoat.Error,
        PermissionDeniedException denied => FromPermission(denied),
        _ => null,
    };

    private static StoatError FromPermission(PermissionDeniedException denied) => StoatError.Raised(
        denied.ErrorType,
        denied.ErrorType == "InvalidOperation" ? HttpStatusCode.BadRequest : HttpStatusCode.Forbidden,
        denied.Permission is { } permission ? new Dictionary<string, object> { ["permission"] = permission } : null);

    public static Task WriteAsync(HttpContext context, StoatException error) => error.Error.WriteAsync(context);
}
