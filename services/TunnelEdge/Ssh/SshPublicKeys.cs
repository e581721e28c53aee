using System.Security.Cryptography;

namespace Spokes.TunnelEdge.Ssh;

/// <summary>
/// Users' public keys: Ed25519 (<see cref="Ed25519"/>), ECDSA (P-256/384/521) and RSA (SHA-2 signatures) on .NET's cryptography. A key blob is
/// compared byte for byte with the registered ones, so only its signature needs parsing here.
/// </summary>
public static class SshPublicKeys
{
    public const string SignatureAlgorithms = "ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,rsa-sha2-256,rsa-sha2-512";

    /// <summary>Whether <paramref name="signature"/> (an SSH signature blob) by the key <paramref name="keyBlob"/> covers <paramref name="data"/>.</summary>
    public static bool Verify(string algorithm, ReadOnlySpan<byte> keyBlob, ReadOnlySpan<byte> signature, ReadOnlySpan<byte> data)
    {
        try
        {
            var key = new SshReader(keyBlob);
            var keyType = key.Text();
            var sig = new SshReader(signature);
            var signatureAlgorithm = sig.Text();
            var signed = sig.Bytes();
            if (signatureAlgorithm != algorithm) return false;
            switch (keyType)
            {
                case "ssh-ed25519" when algorithm == keyType:
                    return Ed25519.Verify(key.Bytes(), signed, data);
                case "ecdsa-sha2-nistp256" or "ecdsa-sha2-nistp384" or "ecdsa-sha2-nistp521" when algorithm == keyType:
                {
                    var (curve, size, hash) = keyType switch
                    {
                        "ecdsa-sha2-nistp256" => (ECCurve.NamedCurves.nistP256, 32, HashAlgorithmName.SHA256),
                        "ecdsa-sha2-nistp384" => (ECCurve.NamedCurves.nistP384, 48, HashAlgorithmName.SHA384),
                        _ => (ECCurve.NamedCurves.nistP521, 66, HashAlgorithmName.SHA512),
                    };
                    key.Text();
                    var point = key.Bytes();
                    if (point.Length != 1 + 2 * size || point[0] != 4) return false;
                    using var ecdsa = ECDsa.Create(new ECParameters
                    {
                        Curve = curve,
                        Q = new ECPoint { X = point.Slice(1, size).ToArray(), Y = point.Slice(1 + size, size).ToArray() },
                    });
                    var numbers = new SshReader(signed);
                    var r = SshNumbers.FixedLength(numbers.Bytes(), size);
                    var s = SshNumbers.FixedLength(numbers.Bytes(), size);
                    return ecdsa.VerifyData(data, [.. r, .. s], hash);
                }
                case "ssh-rsa" when algorithm is "rsa-sha2-256" or "rsa-sha2-512":
                {
                    var exponent = key.Bytes();
                    var modulus = key.Bytes();
                    using var rsa = RSA.Create(new RSAParameters { Exponent = Trim(exponent), Modulus = Trim(modulus) });
                    if (rsa.KeySize < 2048) return false;
                    return rsa.VerifyData(data, signed, algorithm == "rsa-sha2-256" ? HashAlgorithmName.SHA256 : HashAlgorithmName.SHA512,
                        RSASignaturePadding.Pkcs1);
                }
                default:
                    return false;
            }
        }
        catch (Exception e) when (e is InvalidDataException or CryptographicException)
        {
            return false;
        }
    }

    /// <summary>Whether a key of <paramref name="keyType"/> can sign with <paramref name="algorithm"/> here.</summary>
    public static bool Supports(string algorithm, string keyType) =>
        algorithm == keyType && keyType is "ssh-ed25519" or "ecdsa-sha2-nistp256" or "ecdsa-sha2-nistp384" or "ecdsa-sha2-nistp521"
        || keyType == "ssh-rsa" && algorithm is "rsa-sha2-256" or "rsa-sha2-512";

    private static byte[] Trim(ReadOnlySpan<byte> mpint)
    {
        var start = 0;
        while (start < mpint.Length - 1 && mpint[start] == 0) start++;
        return mpint[start..].ToArray();
    }
}
