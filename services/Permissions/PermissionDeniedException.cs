namespace Spokes.Permissions;

/// <summary>
/// A refusal in Stoat's terms: <see cref="ErrorType"/> is the error's <c>type</c>
/// (<c>MissingPermission</c>, <c>MissingUserPermission</c>, <c>NotElevated</c>,
/// <c>CannotGiveMissingPermissions</c>, <c>InvalidOperation</c>) and <see cref="Permission"/> the missing
/// permission's name where there is one.
/// </summary>
public sealed class PermissionDeniedException(string errorType, string? permission = null)
    : Exception(permission is null ? errorType : $"{errorType}: {permission}")
{
    public string ErrorType { get; } = errorType;

    public string? Permission { get; } = permission;
}
