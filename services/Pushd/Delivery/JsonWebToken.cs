using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Spokes.Pushd.Delivery;

/// <summary>
/// Compact JWS tokens as the push services want them: ES256 (VAPID, APNs provider tokens; the signature is the raw
/// r‖s pair, RFC 7518 §3.4) and RS256 (Google service-account assertions).
/// </summary>
public static class JsonWebToken
{
    public static string SignEs256(ECDsa key, IReadOnlyDictionary<string, object> header, IReadOnlyDictionary<string, object> claims) =>
        Sign(header, claims, input => key.SignData(input, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation));

    public static string SignRs256(RSA key, IReadOnlyDictionary<string, object> header, IReadOnlyDictionary<string, object> claims) =>
        Sign(header, claims, input => key.SignData(input, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));

    private static string Sign(IReadOnlyDictionary<string, object> header, IReadOnlyDictionary<string, object> claims, Func<byte[], byte[]> sign)
    {
        var signingInput = Part(header) + "." + Part(claims);
        return signingInput + "." + Base64Url.Encode(sign(Encoding.ASCII.GetBytes(signingInput)));
    }

    private static string Part(IReadOnlyDictionary<string, object> values) => Base64Url.Encode(JsonSerializer.SerializeToUtf8Bytes(values));
}
