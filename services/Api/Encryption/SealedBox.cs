using System.Security.Cryptography;
using System.Text;

namespace Spokes.Api.Encryption;

/// <summary>
/// AES-256-GCM as stored: <c>[version 1][nonce 12][ciphertext][tag 16]</c>, written as base64 where a text field
/// holds it. The associated data names the record and field the value belongs to (see <see cref="SealedFields"/>),
/// so a value copied into another row or field does not open there.
/// </summary>
internal static class SealedBox
{
    public const byte Version = 1;
    private const int NonceBytes = 12;
    private const int TagBytes = 16;
    public const int Overhead = 1 + NonceBytes + TagBytes;

    public static byte[] Seal(ReadOnlySpan<byte> key, ReadOnlySpan<byte> plaintext, string associatedData)
    {
        var box = new byte[Overhead + plaintext.Length];
        box[0] = Version;
        var nonce = box.AsSpan(1, NonceBytes);
        RandomNumberGenerator.Fill(nonce);
        Span<byte> data = stackalloc byte[Encoding.UTF8.GetMaxByteCount(associatedData.Length)];
        Cipher(key).Encrypt(nonce, plaintext, box.AsSpan(1 + NonceBytes, plaintext.Length), box.AsSpan(box.Length - TagBytes), data[..Encoding.UTF8.GetBytes(associatedData, data)]);
        return box;
    }

    /// <summary>The plaintext; throws <see cref="CryptographicException"/> for a wrong key, another record's value, a changed byte or an unknown version.</summary>
    public static byte[] Open(ReadOnlySpan<byte> key, ReadOnlySpan<byte> box, string associatedData)
    {
        if (box.Length < Overhead || box[0] != Version) throw new CryptographicException("Not a sealed value of a known version.");
        var plaintext = new byte[box.Length - Overhead];
        Span<byte> data = stackalloc byte[Encoding.UTF8.GetMaxByteCount(associatedData.Length)];
        Cipher(key).Decrypt(box.Slice(1, NonceBytes), box.Slice(1 + NonceBytes, plaintext.Length), box[^TagBytes..], plaintext, data[..Encoding.UTF8.GetBytes(associatedData, data)]);
        return plaintext;
    }

    /// <summary>
    /// The AES-GCM instance of <paramref name="key"/> for this thread: made once per key and thread rather than per
    /// value (a history page opens 50 values under one key), and never shared, because AesGcm is not thread-safe.
    /// Encrypt and Decrypt run synchronously, so no other use on the same thread comes between. A few keys are kept,
    /// most recent first: a send seals under its channel's key and the outbox's in turn, and one kept key would make
    /// both instances again for every message.
    /// </summary>
    private static AesGcm Cipher(ReadOnlySpan<byte> key)
    {
        var ciphers = _ciphers ??= new (byte[]? Key, AesGcm? Cipher)[CiphersPerThread];
        for (var i = 0; i < ciphers.Length; i++)
        {
            if (ciphers[i] is not { Key: { } kept, Cipher: { } cipher } || !CryptographicOperations.FixedTimeEquals(key, kept)) continue;
            var hit = ciphers[i];
            Array.Copy(ciphers, 0, ciphers, 1, i);
            ciphers[0] = hit;
            return cipher;
        }
        var (oldest, oldestCipher) = ciphers[^1];
        oldestCipher?.Dispose();
        CryptographicOperations.ZeroMemory(oldest);
        Array.Copy(ciphers, 0, ciphers, 1, ciphers.Length - 1);
        var made = new AesGcm(key, TagBytes);
        ciphers[0] = (key.ToArray(), made);
        return made;
    }

    private const int CiphersPerThread = 4;

    [ThreadStatic] private static (byte[]? Key, AesGcm? Cipher)[]? _ciphers;

    public static string SealText(ReadOnlySpan<byte> key, string plaintext, string associatedData) =>
        Convert.ToBase64String(Seal(key, Encoding.UTF8.GetBytes(plaintext), associatedData));

    public static string OpenText(ReadOnlySpan<byte> key, string box, string associatedData)
    {
        Span<byte> bytes = box.Length <= 1024 ? stackalloc byte[box.Length] : new byte[box.Length];
        if (!Convert.TryFromBase64String(box, bytes, out var length)) throw new FormatException("A sealed value is not base64.");
        return Encoding.UTF8.GetString(Open(key, bytes[..length], associatedData));
    }

    /// <summary>False when <paramref name="box"/> is not a value sealed under this key for this record (plain text from before encryption, say).</summary>
    public static bool TryOpenText(ReadOnlySpan<byte> key, string box, string associatedData, out string plaintext)
    {
        try
        {
            plaintext = OpenText(key, box, associatedData);
            return true;
        }
        catch (Exception e) when (e is CryptographicException or FormatException)
        {
            plaintext = "";
            return false;
        }
    }
}

/// <summary>The associated data of each encrypted field: what it is and which record it belongs to.</summary>
internal static class SealedFields
{
    public static string MessageContent(string channelId, string messageId) => $"spokes/message/content/{channelId}/{messageId}";

    public static string MessageEmbed(string channelId, string messageId) => $"spokes/message/embed/{channelId}/{messageId}";

    public static string ChannelDescription(string channelId) => $"spokes/channel/description/{channelId}";

    public static string OutboxBody(Guid entryId) => $"spokes/outbox/body/{entryId}";

    public static string DataKey(string scope) => $"spokes/key/{scope}";
}
