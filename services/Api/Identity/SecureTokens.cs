using System.Security.Cryptography;

namespace Spokes.Api.Identity;

/// <summary>Stoat's identifiers: ULIDs for objects, 64-character nanoids for session and bot tokens.</summary>
public static class SecureTokens
{
    private const string NanoIdAlphabet = "_-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    private static readonly object Gate = new();
    private static Ulid _last;

    /// <summary>
    /// A new ULID. Within one millisecond each id is the previous one plus one, so ids made by this process
    /// always sort in the order they were made (history paging relies on it).
    /// </summary>
    public static string NewId()
    {
        var candidate = Ulid.NewUlid();
        lock (Gate)
        {
            if (candidate.Time <= _last.Time) candidate = Increment(_last);
            _last = candidate;
            return candidate.ToString();
        }
    }

    private static Ulid Increment(Ulid value)
    {
        var bytes = value.ToByteArray();
        // The 80 random bits are the last 10 bytes, big-endian; carrying into the time part cannot happen in practice.
        for (var i = bytes.Length - 1; i >= 0 && ++bytes[i] == 0; i--) { }
        return new Ulid(bytes);
    }

    /// <summary>A nanoid of <paramref name="length"/> characters: 6 random bits each, 384 bits for a session token.</summary>
    public static string NewToken(int length = 64) => RandomNumberGenerator.GetString(NanoIdAlphabet, length);
}
