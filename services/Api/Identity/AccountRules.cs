using System.Globalization;
using System.Text;
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

    /// <summary>
    /// Passwords of eight or more characters that lead every leaked-password list; guessing attacks try them
    /// first. (Stoat checks a 100k list; this short one with the pattern rules below catches the worst.)
    /// </summary>
    private static readonly HashSet<string> CommonPasswords = new(StringComparer.OrdinalIgnoreCase)
    {
        "password", "password1", "password12", "password123", "passw0rd", "p@ssw0rd", "p@ssword", "qwertyuiop", "qwerty123", "qwerty12",
        "1q2w3e4r", "1q2w3e4r5t", "1qaz2wsx", "zaq12wsx", "qazwsxedc", "1qazxsw2", "asdfghjkl", "asdfghjk", "asdfasdf", "zxcvbnm1",
        "iloveyou", "iloveyou1", "sunshine", "princess", "football", "baseball", "welcome1", "welcome123", "trustno1", "superman",
        "starwars", "whatever", "letmein1", "letmein123", "computer", "michelle", "jennifer", "corvette", "mercedes", "1234qwer",
        "qwer1234", "abc12345", "abcd1234", "a1b2c3d4", "q1w2e3r4", "q1w2e3r4t5", "samantha", "cocacola", "internet", "maverick",
        "midnight", "butterfly", "football1", "basketball", "chocolate", "liverpool", "pokemon1", "dragon12", "master12", "shadow12",
        "monkey12", "changeme", "admin123", "administrator", "secret12", "loveme12", "myspace1", "charlie1", "michael1", "jordan23",
        "11223344", "12341234", "1234abcd", "123qweasd", "123qweasdzxc", "qweasdzxc", "987654321a", "password!", "iloveyou!",
    };

    [GeneratedRegex(@"^(\p{L}|[\d_.-])+$", RegexLimits.UserInput, RegexLimits.MatchTimeoutMilliseconds)]
    private static partial Regex UsernameShape();

    /// <summary>
    /// The key an address is stored and looked up under, so that one mailbox is one account, as authifier's
    /// <c>normalise_email</c> makes it: lower case and without a <c>+tag</c>; at Gmail also without dots and with
    /// googlemail.com read as gmail.com. Authifier drops dots at every provider; here only at the one that ignores
    /// them, since elsewhere <c>j.smith</c> and <c>jsmith</c> are two people's mailboxes.
    /// </summary>
    public static string NormaliseEmail(string email)
    {
        var text = email.Trim();
        // Broken UTF-16 cannot be normalised; no address that validates has any.
        var address = (text.EnumerateRunes().Contains(Rune.ReplacementChar) ? text : text.Normalize(NormalizationForm.FormKC)).ToLowerInvariant();
        var at = address.LastIndexOf('@');
        if (at <= 0) return address;
        var (local, domain) = (address[..at], address[(at + 1)..]);
        var tag = local.IndexOf('+');
        if (tag > 0) local = local[..tag];
        if (domain is "gmail.com" or "googlemail.com") (local, domain) = (local.Replace(".", ""), "gmail.com");
        return $"{local}@{domain}";
    }

    /// <summary>The key addresses were stored under before <see cref="NormaliseEmail"/>: only trimmed and lower-cased.</summary>
    public static string LegacyEmailKey(string email) => email.Trim().ToLowerInvariant();

    /// <summary>
    /// The address as given, and its key (<see cref="NormaliseEmail"/>). One <c>@</c> with something before it and a
    /// dotted domain after it, and no control, bidi, invisible or space characters, which would make one address
    /// look like another: anything else is authifier's <c>IncorrectData</c> for <c>email</c>.
    /// </summary>
    public static (string Email, string Normalised) ValidateEmail(string? email)
    {
        var trimmed = email?.Trim() ?? "";
        var at = trimmed.IndexOf('@');
        var domain = at < 0 ? "" : trimmed[(at + 1)..];
        if (trimmed.Length > 254 || at is < 1 or > 64 || domain.Contains('@') || domain.IndexOf('.') < 1 || domain.EndsWith('.')
            || !trimmed.EnumerateRunes().All(IsVisible))
        {
            throw StoatException.IncorrectData("email");
        }
        var normalised = NormaliseEmail(trimmed);
        // A Gmail address of dots and a tag alone leaves no mailbox in its key.
        return normalised.StartsWith('@') ? throw StoatException.IncorrectData("email") : (trimmed, normalised);
    }

    /// <summary>False for control and format characters (bidi marks and overrides, zero-width ones), spaces, and broken UTF-16.</summary>
    private static bool IsVisible(Rune rune) => rune != Rune.ReplacementChar && Rune.GetUnicodeCategory(rune) is not (
        UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate or UnicodeCategory.SpaceSeparator
        or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator);

    /// <summary>Long enough, not too long, and not one of the first guesses: a common password, one or two characters repeated, or a run like 12345678.</summary>
    public static void ValidatePassword(string? password)
    {
        if (password is null || password.Length < PasswordHasher.MinimumLength) throw StoatException.ShortPassword();
        if (password.Length > PasswordHasher.MaximumLength)
            throw StoatException.FailedValidation($"password must be at most {PasswordHasher.MaximumLength} characters");
        if (CommonPasswords.Contains(password) || password.Distinct().Count() <= 2 || IsRun(password)) throw StoatException.CompromisedPassword();
    }

    /// <summary>Each character one above (or each one below) the one before: 12345678, abcdefgh, 98765432.</summary>
    private static bool IsRun(string password)
    {
        var steps = password.Zip(password.Skip(1), (a, b) => b - a).Distinct().ToList();
        return steps is [1] or [-1];
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
