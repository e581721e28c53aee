namespace Spokes.Permissions;

/// <summary>
/// An allow/deny pair: the API's <c>Override {allow, deny}</c> (unsigned) and the database's
/// <c>OverrideField {a, d}</c> (signed 64-bit, as BSON stores it). Applying it allows first, then denies,
/// so a bit in both is denied.
/// </summary>
public readonly record struct PermissionOverride(ChannelPermission Allow, ChannelPermission Deny)
{
    public static PermissionOverride None => default;

    public ChannelPermission ApplyTo(ChannelPermission permissions) => (permissions | Allow) & ~Deny;

    /// <summary>From the database form; the same 64 bits read as signed.</summary>
    public static PermissionOverride FromField(long a, long d) => new((ChannelPermission)unchecked((ulong)a), (ChannelPermission)unchecked((ulong)d));

    public (long A, long D) ToField() => (unchecked((long)(ulong)Allow), unchecked((long)(ulong)Deny));
}
