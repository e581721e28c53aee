using System.Security.Cryptography;

namespace Spokes.TunnelEdge.Ssh;

/// <summary>
/// A public key as OpenSSH writes it (<c>TYPE BASE64 [comment]</c>, the line of a <c>.pub</c> file), registered for a
/// tunnel's token so that it signs in to the SSH front door. Only key types the front door verifies are taken, and the
/// blob must say the type the line says (a mislabelled key would never sign in).
/// </summary>
public sealed record SshAuthorizedKey(string Type, byte[] Blob, string Comment)
{
    /// <summary>At most this long: an RSA key of 16 384 bits with a comment fits.</summary>
    public const int MaxLineLength = 4096;

    private static readonly HashSet<string> KeyTypes = ["ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-rsa"];

    /// <summary>OpenSSH's fingerprint (<c>ssh-keygen -l</c>): SHA256 and the unpadded base64 of the blob's hash.</summary>
    public string Fingerprint => Fingerprints(Blob);

    public static string Fingerprints(ReadOnlySpan<byte> blob) => "SHA256:" + Convert.ToBase64String(SHA256.HashData(blob)).TrimEnd('=');

    /// <summary>Parses a public key line; <paramref name="error"/> says what is wrong when it is not one.</summary>
    public static bool TryParse(string line, out SshAuthorizedKey key, out string error)
    {
        key = null!;
        line = line.Trim();
        if (line.Length is 0 or > MaxLineLength)
        {
            error = $"A public key is one line of 1 to {MaxLineLength} characters: TYPE BASE64 [comment], as in a .pub file.";
            return false;
        }
        var fields = line.Split((char[]?)null, 3, StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 2 || !KeyTypes.Contains(fields[0]))
        {
            error = $"A public key begins with its type ({string.Join(", ", KeyTypes)}), then its base64; options before the type are not taken.";
            return false;
        }
        var blob = new byte[fields[1].Length];
        if (!Convert.TryFromBase64String(fields[1], blob, out var length) || !Says(blob.AsSpan(0, length), fields[0]))
        {
            error = $"The key's base64 is not a {fields[0]} key.";
            return false;
        }
        key = new SshAuthorizedKey(fields[0], blob[..length], fields.Length > 2 ? fields[2].Trim() : "");
        error = "";
        return true;
    }

    private static bool Says(ReadOnlySpan<byte> blob, string type)
    {
        try
        {
            return new SshReader(blob).Text() == type;
        }
        catch (InvalidDataException)
        {
            return false;
        }
    }
}
