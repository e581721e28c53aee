using System.Security.Cryptography;

namespace Spokes.Autumn.Files;

/// <summary>
/// Files at rest as Stoat keeps them (crates/core/files/src/implementation/encryption_impl.rs): AES-256-GCM with a
/// random 12-byte nonce per stored object, the 16-byte tag appended to the ciphertext, no associated data; the
/// nonce is kept base64 in the object's hash record.
/// </summary>
public sealed class FileEncryption
{
    public const int NonceSize = 12;
    public const int TagSize = 16;

    private readonly byte[] _key;

    public FileEncryption(string base64Key)
    {
        byte[] key;
        try
        {
            key = Convert.FromBase64String(base64Key);
        }
        catch (FormatException)
        {
            key = [];
        }
        if (key.Length != 32)
        {
            throw new InvalidOperationException(
                "Autumn needs a 32-byte encryption key, base64: set Autumn__EncryptionKey (the AppHost generates one), e.g. `openssl rand -base64 32`.");
        }
        _key = key;
    }

    /// <summary>
    /// Encrypts the plaintext that fills <paramref name="buffer"/> but its last <see cref="TagSize"/> bytes, in place,
    /// and appends the tag there: an upload is held in memory once, not twice. Returns the nonce (base64).
    /// </summary>
    public string SealInPlace(byte[] buffer)
    {
        var nonce = RandomNumberGenerator.GetBytes(NonceSize);
        var length = buffer.Length - TagSize;
        using var aes = new AesGcm(_key, TagSize);
        aes.Encrypt(nonce, buffer.AsSpan(0, length), buffer.AsSpan(0, length), buffer.AsSpan(length));
        return Convert.ToBase64String(nonce);
    }

    public byte[] Decrypt(ReadOnlySpan<byte> sealedBytes, string nonce)
    {
        var plaintext = new byte[sealedBytes.Length - TagSize];
        using var aes = new AesGcm(_key, TagSize);
        aes.Decrypt(Convert.FromBase64String(nonce), sealedBytes[..^TagSize], sealedBytes[^TagSize..], plaintext);
        return plaintext;
    }
}
