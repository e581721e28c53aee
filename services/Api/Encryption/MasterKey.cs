using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Konscious.Security.Cryptography;

namespace Spokes.Api.Encryption;

/// <summary>
/// What a data store keeps to recognise its master password: Argon2id's cost and salt, and a verifier (an HMAC of
/// a fixed text under the derived key), which tells a wrong password apart without holding any key.
/// </summary>
internal sealed record MasterKeyHeader(
    [property: JsonPropertyName("v")] int Version,
    [property: JsonPropertyName("m")] int MemoryKiB,
    [property: JsonPropertyName("t")] int Iterations,
    [property: JsonPropertyName("p")] int Parallelism,
    [property: JsonPropertyName("salt")] string Salt,
    [property: JsonPropertyName("verifier")] string Verifier)
{
    public const int CurrentVersion = 1;

    public string ToJson() => JsonSerializer.Serialize(this);

    /// <summary>The header in <paramref name="json"/>; throws <see cref="FormatException"/> when it is not one this version reads.</summary>
    public static MasterKeyHeader Parse(string json)
    {
        MasterKeyHeader? header;
        try
        {
            header = JsonSerializer.Deserialize<MasterKeyHeader>(json);
        }
        catch (JsonException e)
        {
            throw new FormatException("The master key header is damaged.", e);
        }
        return header is { Version: CurrentVersion, MemoryKiB: > 0, Iterations: > 0, Parallelism: > 0, Salt.Length: > 0, Verifier.Length: > 0 }
            ? header
            : throw new FormatException("The master key header is not of a version this Spokes reads.");
    }
}

/// <summary>
/// The key-encryption key: Argon2id of the master password and the store's salt. It only wraps and unwraps the data
/// keys (one per channel), so a new password re-wraps those keys and leaves every message as it is.
/// </summary>
internal sealed class MasterKey : IDisposable
{
    // OWASP's first Argon2id choice (46 MiB, 1 pass) costs one start of the Api ≈ 0.1 s and an attacker as much per guess.
    private const int MemoryKiB = 47_104;
    private const int Iterations = 1;
    private const int Parallelism = 1;
    private const int KeyBytes = 32;
    private static readonly byte[] VerifierText = Encoding.UTF8.GetBytes("spokes master password verifier v1");

    private readonly byte[] _key;

    private MasterKey(byte[] key) => _key = key;

    /// <summary>A new key for a store that has none yet, with the header to keep beside the data.</summary>
    public static (MasterKey Key, MasterKeyHeader Header) Create(string password)
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var key = new MasterKey(Derive(password, salt, MemoryKiB, Iterations, Parallelism));
        return (key, new MasterKeyHeader(MasterKeyHeader.CurrentVersion, MemoryKiB, Iterations, Parallelism, Convert.ToBase64String(salt),
            Convert.ToBase64String(key.Verifier())));
    }

    /// <summary>The key <paramref name="password"/> gives under <paramref name="header"/>; null when it is not the store's master password.</summary>
    public static MasterKey? Open(string password, MasterKeyHeader header)
    {
        var key = new MasterKey(Derive(password, Convert.FromBase64String(header.Salt), header.MemoryKiB, header.Iterations, header.Parallelism));
        if (CryptographicOperations.FixedTimeEquals(key.Verifier(), Convert.FromBase64String(header.Verifier))) return key;
        key.Dispose();
        return null;
    }

    /// <summary>A data key sealed for keeping in the store under <paramref name="scope"/> (a channel id).</summary>
    public string Wrap(string scope, ReadOnlySpan<byte> dataKey) => Convert.ToBase64String(SealedBox.Seal(_key, dataKey, SealedFields.DataKey(scope)));

    /// <summary>The data key of <paramref name="scope"/>; throws <see cref="CryptographicException"/> when another key or scope sealed it.</summary>
    public byte[] Unwrap(string scope, string wrapped) => SealedBox.Open(_key, Convert.FromBase64String(wrapped), SealedFields.DataKey(scope));

    public void Dispose() => CryptographicOperations.ZeroMemory(_key);

    private byte[] Verifier() => HMACSHA256.HashData(_key, VerifierText);

    private static byte[] Derive(string password, byte[] salt, int memoryKiB, int iterations, int parallelism)
    {
        using var argon2 = new Argon2id(Encoding.UTF8.GetBytes(password))
        {
            Salt = salt,
            MemorySize = memoryKiB,
            Iterations = iterations,
            DegreeOfParallelism = parallelism,
        };
        return argon2.GetBytes(KeyBytes);
    }
}
