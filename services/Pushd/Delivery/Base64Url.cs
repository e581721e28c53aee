namespace Spokes.Pushd.Delivery;

/// <summary>Unpadded base64url (RFC 4648 §5), the encoding of Web Push keys and of JWTs.</summary>
public static class Base64Url
{
    public static string Encode(ReadOnlySpan<byte> bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>Also takes padded or standard base64, as browsers and libraries hand keys out in either form.</summary>
    public static byte[] Decode(string text)
    {
        var standard = text.Trim().TrimEnd('=').Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(standard.PadRight(standard.Length + (4 - standard.Length % 4) % 4, '='));
    }
}
