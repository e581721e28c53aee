using System.Globalization;
using System.Text;
using System.Text.Json;
using NSec.Cryptography;

namespace Spokes.Api.Setup;

/// <summary>
/// A <c>.spokes-license</c> file: JSON with <c>licensee</c>, <c>edition</c>, <c>seats</c>, <c>expires</c>
/// (yyyy-MM-dd) and <c>signature</c>, the base64 Ed25519 signature over <see cref="SignedText"/>. It is verified
/// offline with the key from configuration; nothing is sent anywhere.
/// </summary>
public static class LicenseFile
{
    public const int MaxBytes = 16 * 1024;

    /// <summary>What demo mode allows, shown in the wizard and on the admin page.</summary>
    public static readonly string DemoLimits =
        $"Demo mode: up to {DemoMode.Accounts} accounts, {DemoMode.Servers} servers and calls of up to {DemoMode.CallParticipants} people; for evaluation, not production.";

    /// <summary>The exact bytes that are signed: one field per line, in this order.</summary>
    public static byte[] SignedText(string licensee, string edition, int seats, DateOnly expires) => Encoding.UTF8.GetBytes(
        $"spokes-license-v1\nlicensee={licensee}\nedition={edition}\nseats={seats.ToString(CultureInfo.InvariantCulture)}\nexpires={expires.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}\n");

    public static LicenseInfo Verify(ReadOnlySpan<byte> file, string? verifyingKey, DateOnly today)
    {
        if (string.IsNullOrWhiteSpace(verifyingKey)) throw new SetupAnswerException("This server has no licence verifying key configured (Setup__LicenseVerifyingKey); use demo mode.");
        if (file.Length is 0 or > MaxBytes) throw new SetupAnswerException("That is not a licence file.");
        PublicKey key;
        try
        {
            key = PublicKey.Import(SignatureAlgorithm.Ed25519, Convert.FromBase64String(verifyingKey), KeyBlobFormat.RawPublicKey);
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            throw new SetupAnswerException("The configured licence verifying key is not a base64 Ed25519 public key.");
        }

        string licensee, edition;
        int seats;
        DateOnly expires;
        byte[] signature;
        try
        {
            using var document = JsonDocument.Parse(file.ToArray());
            var root = document.RootElement;
            licensee = root.GetProperty("licensee").GetString() ?? "";
            edition = root.GetProperty("edition").GetString() ?? "";
            seats = root.GetProperty("seats").GetInt32();
            expires = DateOnly.ParseExact(root.GetProperty("expires").GetString() ?? "", "yyyy-MM-dd", CultureInfo.InvariantCulture);
            signature = Convert.FromBase64String(root.GetProperty("signature").GetString() ?? "");
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new SetupAnswerException("That is not a licence file.");
        }
        if (licensee.Length is 0 or > 200 || edition.Length is 0 or > 64 || seats < 1)
            throw new SetupAnswerException("That is not a licence file.");
        if (!SignatureAlgorithm.Ed25519.Verify(key, SignedText(licensee, edition, seats, expires), signature))
            throw new SetupAnswerException("The licence's signature does not match: it was not issued for Spokes, or it was changed.");
        if (expires < today) throw new SetupAnswerException($"The licence expired on {expires:yyyy-MM-dd}.");
        return new LicenseInfo(licensee, edition, seats, expires);
    }
}
