using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Spokes.Pushd.Delivery;

/// <summary>
/// Web Push message encryption (RFC 8291) in the <c>aes128gcm</c> content coding (RFC 8188): one record, encrypted
/// for the browser's P-256 key and auth secret with an ephemeral key of ours, which the body's header carries.
/// </summary>
public static class WebPushEncryption
{
    /// <summary>The record size we announce; a body is one record, so the plaintext must fit in it.</summary>
    public const int RecordSize = 4096;

    private const int TagLength = 16;
    private const int HeaderLength = 16 + 4 + 1 + 65;

    /// <summary>The longest plaintext one record holds (its delimiter byte and the tag take the rest).</summary>
    public const int MaxPlaintextLength = RecordSize - TagLength - 1;

    public static byte[] Encrypt(ReadOnlySpan<byte> plaintext, string userAgentPublicKey, string authSecret)
    {
        using var senderKey = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        return Encrypt(plaintext, Base64Url.Decode(userAgentPublicKey), Base64Url.Decode(authSecret), senderKey, RandomNumberGenerator.GetBytes(16));
    }

    /// <summary>With a given sender key and salt, so RFC 8291's worked example can be reproduced.</summary>
    public static byte[] Encrypt(ReadOnlySpan<byte> plaintext, byte[] userAgentPublicKey, byte[] authSecret, ECDiffieHellman senderKey, byte[] salt)
    {
        if (plaintext.Length > MaxPlaintextLength) throw new ArgumentException($"A Web Push payload holds at most {MaxPlaintextLength} bytes.", nameof(plaintext));
        if (userAgentPublicKey is not { Length: 65 } || userAgentPublicKey[0] != 0x04)
            throw new ArgumentException("p256dh must be an uncompressed P-256 point (65 bytes).", nameof(userAgentPublicKey));
        if (authSecret.Length != 16) throw new ArgumentException("auth must be 16 bytes.", nameof(authSecret));

        using var userAgentKey = ECDiffieHellman.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint { X = userAgentPublicKey[1..33], Y = userAgentPublicKey[33..65] },
        });
        var senderPublicKey = PublicPoint(senderKey);
        var sharedSecret = senderKey.DeriveRawSecretAgreement(userAgentKey.PublicKey);

        // RFC 8291 §3.3: the auth secret and both public keys go into the input keying material.
        var keyInfo = Concat(Encoding.ASCII.GetBytes("WebPush: info\0"), userAgentPublicKey, senderPublicKey);
        var inputKey = HKDF.Expand(HashAlgorithmName.SHA256, HKDF.Extract(HashAlgorithmName.SHA256, sharedSecret, authSecret), 32, keyInfo);

        // RFC 8188 §2.2–2.3: content encryption key and nonce from the salt.
        var pseudoRandomKey = HKDF.Extract(HashAlgorithmName.SHA256, inputKey, salt);
        var contentKey = HKDF.Expand(HashAlgorithmName.SHA256, pseudoRandomKey, 16, Encoding.ASCII.GetBytes("Content-Encoding: aes128gcm\0"));
        var nonce = HKDF.Expand(HashAlgorithmName.SHA256, pseudoRandomKey, 12, Encoding.ASCII.GetBytes("Content-Encoding: nonce\0"));

        var body = new byte[HeaderLength + plaintext.Length + 1 + TagLength];
        salt.CopyTo(body, 0);
        BinaryPrimitives.WriteUInt32BigEndian(body.AsSpan(16), RecordSize);
        body[20] = (byte)senderPublicKey.Length;
        senderPublicKey.CopyTo(body, 21);

        // The last (and only) record ends with the delimiter 0x02 and no padding.
        var record = new byte[plaintext.Length + 1];
        plaintext.CopyTo(record);
        record[^1] = 0x02;
        using var aes = new AesGcm(contentKey, TagLength);
        aes.Encrypt(nonce, record, body.AsSpan(HeaderLength, record.Length), body.AsSpan(HeaderLength + record.Length, TagLength));
        return body;
    }

    /// <summary>An uncompressed P-256 point: 0x04, then X and Y.</summary>
    public static byte[] PublicPoint(ECAlgorithm key)
    {
        var parameters = key.ExportParameters(false);
        return Concat([0x04], parameters.Q.X!, parameters.Q.Y!);
    }

    private static byte[] Concat(params byte[][] parts)
    {
        var result = new byte[parts.Sum(p => p.Length)];
        var offset = 0;
        foreach (var part in parts)
        {
            part.CopyTo(result, offset);
            offset += part.Length;
        }
        return result;
    }
}
