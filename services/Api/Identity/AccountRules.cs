using System.Globalization;
using System.Text.RegularExpressions;
using Spokes.Api.Errors;

namespace Spokes.Api.Identity;

/// <summary>What makes an email, a password and a username acceptable (authifier's and Stoat's rules).</summary>
public static partial class AccountRules
{
    /// <summary>Names no user may take: they would impersonate the platform or mention everyone.</summary>
    private static readonly HashSet<string> ReservedUsernames = new(StringComparer.OrdinalIgnoreCase)
    {
        "admin", "administrator", "moderator", "system", "root", "stoat", "revolt", "spokes", "everyone", "online", "here",
    };

    [GeneratedRegex(@"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
    private static partial Regex EmailShape();

    [GeneratedRegex(@"^(\p{L}|[\d_.-])+$")]
    private static partial Regex UsernameShape();

    /// <summary>The form an address is stored and looked up in: trimmed, lower-case.</summary>
    public static string NormaliseEmail(string email) => email.Trim().ToLowerInvariant();

    /// <summary>The address as given, and the form used for uniqueness (<see cref="NormaliseEmail"/>).</summary>
    public static (string Email, string Normalised) ValidateEmail(string? email)
    {
        var trimmed = email?.Trim() ?? "";
        if (trimmed.Length is 0 or > 254 || !EmailShape().IsMatch(trimmed)) throw StoatException.IncorrectData("email");
        return (trimmed, NormaliseEmail(trimmed));
    }

    public static void ValidatePassword(string? password)
    {
        if (password is null || password.Length < PasswordHasher.MinimumLength) throw StoatException.ShortPassword();
        if (password.Length > PasswordHasher.MaximumLength)
            throw StoatException.FailedValidation($"password must be at most {PasswordHasher.MaximumLength} characters");
    }

    /// <summary>2–32 letters, digits, <c>_</c>, <c>.</c> or <c>-</c>, and not a reserved name.</summary>
    public static string ValidateUsername(string? username)
    {
        var value = username?.Trim() ?? "";
        var length = new StringInfo(value).LengthInTextElements;
        if (length is < 2 or > 32 || !UsernameShape().IsMatch(value) || ReservedUsernames.Contains(value))
            throw StoatException.InvalidUsername();
        return value;
    }

    /// <summary>
    /// The discriminator after a rename: the current one when it is free under the new name (or the name only
    /// changes case), else a random free one; null when none is left.
    /// </summary>
    public static string? DiscriminatorForRename(string current, IReadOnlySet<string> takenUnderNewName, bool onlyCaseChanges) =>
        onlyCaseChanges || !takenUnderNewName.Contains(current) ? current : PickDiscriminator(takenUnderNewName);

    /// <summary>A random free discriminator (<c>0001</c>–<c>9999</c>) for <paramref name="username"/>, or null if none is left.</summary>
    public static string? PickDiscriminator(IReadOnlySet<string> taken)
    {
        if (taken.Count >= 9999) return null;
        while (true)
        {
            var candidate = System.Security.Cryptography.RandomNumberGenerator.GetInt32(1, 10_000).ToString("D4");
            if (!taken.Contains(candidate)) return candidate;
        }
    }
}
