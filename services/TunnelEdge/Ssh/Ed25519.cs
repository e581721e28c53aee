using System.Numerics;
using System.Security.Cryptography;

namespace Spokes.TunnelEdge.Ssh;

/// <summary>
/// Ed25519 signature verification (RFC 8032 §5.1.7), the key type OpenSSH makes by default. .NET has no Ed25519,
/// and verifying needs no secret, so plain arithmetic suffices: constant time does not matter for public data.
/// </summary>
public static class Ed25519
{
    private static readonly BigInteger P = BigInteger.Pow(2, 255) - 19;
    private static readonly BigInteger L = BigInteger.Pow(2, 252) + BigInteger.Parse("27742317777372353535851937790883648493");
    private static readonly BigInteger D = Mod(-121665 * Inverse(121666));
    private static readonly BigInteger SqrtMinusOne = BigInteger.ModPow(2, (P - 1) / 4, P);
    private static readonly (BigInteger X, BigInteger Y) Base = Decode(Convert.FromHexString("5866666666666666666666666666666666666666666666666666666666666666"))!.Value;

    public static bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> signature, ReadOnlySpan<byte> message)
    {
        if (publicKey.Length != 32 || signature.Length != 64) return false;
        if (Decode(publicKey) is not { } a || Decode(signature[..32]) is not { } r) return false;
        var s = new BigInteger(signature[32..], isUnsigned: true);
        if (s >= L) return false;
        var k = new BigInteger(SHA512.HashData([.. signature[..32], .. publicKey, .. message]), isUnsigned: true) % L;
        // [S]B = R + [k]A
        return Multiply(Base, s) == Add(r, Multiply(a, k));
    }

    private static BigInteger Mod(BigInteger value) => (value % P + P) % P;

    private static BigInteger Inverse(BigInteger value) => BigInteger.ModPow(Mod(value), P - 2, P);

    /// <summary>A point from its 32-byte encoding; null when it is not on the curve.</summary>
    private static (BigInteger X, BigInteger Y)? Decode(ReadOnlySpan<byte> encoded)
    {
        Span<byte> bytes = stackalloc byte[32];
        encoded.CopyTo(bytes);
        var sign = bytes[31] >> 7;
        bytes[31] &= 0x7f;
        var y = new BigInteger(bytes, isUnsigned: true);
        if (y >= P) return null;
        var y2 = y * y % P;
        var x2 = Mod((y2 - 1) * Inverse(D * y2 + 1));
        var x = BigInteger.ModPow(x2, (P + 3) / 8, P);
        if (Mod(x * x - x2) != 0) x = x * SqrtMinusOne % P;
        if (Mod(x * x - x2) != 0) return null;
        if (x == 0 && sign == 1) return null;
        if ((int)(x & 1) != sign) x = P - x;
        return (x, y);
    }

    private static (BigInteger X, BigInteger Y) Add((BigInteger X, BigInteger Y) p, (BigInteger X, BigInteger Y) q)
    {
        var product = D * p.X % P * q.X % P * p.Y % P * q.Y % P;
        var x = (p.X * q.Y + q.X * p.Y) % P * Inverse(1 + product) % P;
        var y = (p.Y * q.Y + p.X * q.X) % P * Inverse(1 - product) % P;
        return (Mod(x), Mod(y));
    }

    private static (BigInteger X, BigInteger Y) Multiply((BigInteger X, BigInteger Y) point, BigInteger scalar)
    {
        (BigInteger X, BigInteger Y) result = (0, 1);
        while (scalar > 0)
        {
            if (!scalar.IsEven) result = Add(result, point);
            point = Add(point, point);
            scalar >>= 1;
        }
        return result;
    }
}
