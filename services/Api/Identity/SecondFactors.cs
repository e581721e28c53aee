using System.Security.Cryptography;
using System.Text;

namespace Spokes.Api.Identity;

/// <summary>
/// Time-based one-time passwords (RFC 6238 over RFC 4226: HMAC-SHA1, 6 digits, 30-second steps), the
/// kind every authenticator app reads from a base32 secret.
/// </summary>
public static class Totp
{
    private const string Base32Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    private const int StepSeconds = 30;

    /// <summary>A new 160-bit secret, base32 without padding (32 characters), as RFC 4226 recommends.</summary>
    public static string NewSecret() => Base32(RandomNumberGenerator.GetBytes(20));

    /// <summary>The code for <paramref name="time"/>.</summary>
    public static string Code(string secret, DateTimeOffset time) => Code(FromBase32(secret), Step(time));

    /// <summary>
    /// Whether <paramref name="code"/> is the code of the current step or of the one before or after it, so a
    /// clock a little off or a code typed at the end of its step still works.
    /// </summary>
    public static bool Verify(string secret, string? code, DateTimeOffset now) => MatchStep(secret, code, now) is not null;

    /// <summary>The time step whose code <paramref name="code"/> is, among those <see cref="Verify"/> accepts; null when none.</summary>
    public static long? MatchStep(string secret, string? code, DateTimeOffset now)
    {
        var trimmed = code?.Replace(" ", "") ?? "";
        if (trimmed.Length != 6 || !trimmed.All(char.IsAsciiDigit)) return null;
        var key = FromBase32(secret);
        var step = Step(now);
        var expected = Encoding.ASCII.GetBytes(trimmed);
        long? matched = null;
        // Every window is checked, so the time taken says nothing about which one matched.
        for (var offset = -1; offset <= 1; offset++)
        {
            if (CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Code(key, step + offset)), expected)) matched = step + offset;
        }
        return matched;
    }

    private static long Step(DateTimeOffset time) => time.ToUnixTimeSeconds() / StepSeconds;

    private static string Code(byte[] key, long counter)
    {
        Span<byte> message = stackalloc byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(message, counter);
        var hash = HMACSHA1.HashData(key, message);
        var offset = hash[^1] & 0x0f;
        var binary = ((hash[offset] & 0x7f) << 24) | (hash[offset + 1] << 16) | (hash[offset + 2] << 8) | hash[offset + 3];
        return (binary % 1_000_000).ToString("D6");
    }

    public static string Base32(ReadOnlySpan<byte> data)
    {
        var output = new StringBuilder((data.Length * 8 + 4) / 5);
        int buffer = 0, bits = 0;
        foreach (var b in data)
        {
            buffer = (buffer << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                output.Append(Base32Alphabet[(buffer >> (bits - 5)) & 31]);
                bits -= 5;
            }
        }
        if (bits > 0) output.Append(Base32Alphabet[(buffer << (5 - bits)) & 31]);
        return output.ToString();
    }

    public static byte[] FromBase32(string text)
    {
        var output = new List<byte>(text.Length * 5 / 8);
        int buffer = 0, bits = 0;
        foreach (var c in text.TrimEnd('=').ToUpperInvariant())
        {
            var value = Base32Alphabet.IndexOf(c);
            if (value < 0) throw new FormatException($"'{c}' is not a base32 character.");
            buffer = (buffer << 5) | value;
            bits += 5;
            if (bits >= 8)
            {
                output.Add((byte)(buffer >> (bits - 8)));
                bits -= 8;
            }
        }
        return [.. output];
    }
}

/// <summary>Single-use recovery codes, shaped as authifier makes them: ten of <c>xxxxx-xxxxx</c>.</summary>
public static class RecoveryCodes
{
    private const string Alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";

    public static IReadOnlyList<string> Generate() =>
        Enumerable.Range(0, 10).Select(_ => $"{RandomNumberGenerator.GetString(Alphabet, 5)}-{RandomNumberGenerator.GetString(Alphabet, 5)}").ToList();

    /// <summary>The codes left once <paramref name="code"/> is used, or null when it is not one of them.</summary>
    public static IReadOnlyList<string>? Use(IReadOnlyList<string> codes, string? code)
    {
        var given = code?.Trim().ToLowerInvariant();
        return given is not null && codes.Contains(given) ? codes.Where(c => c != given).ToList() : null;
    }
}
