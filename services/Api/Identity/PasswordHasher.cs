using System.Security.Cryptography;
using System.Text;
using Konscious.Security.Cryptography;

namespace Spokes.Api.Identity;

/// <summary>Makes and checks password hashes. A service rather than functions, so that a test can count the hashing a route does.</summary>
public interface IPasswordHasher
{
    Task<string> HashAsync(string password);

    /// <summary>Checks <paramref name="password"/> against a stored hash; with none (no such account), hashes anyway and fails.</summary>
    Task<bool> VerifyAsync(string password, string? phc);
}

/// <summary>
/// Argon2id password hashes in the PHC string format (<c>$argon2id$v=19$m=…,t=…,p=…$salt$hash</c>), the
/// format Stoat's argon2 crate writes, with its default (and OWASP's) cost: 19 MiB, 2 passes, 1 lane.
/// </summary>
public sealed class PasswordHasher : IPasswordHasher
{
    public const int MinimumLength = 8;

    /// <summary>Longer inputs are refused before hashing: they would only cost the server time.</summary>
    public const int MaximumLength = 1024;

    private const int MemoryKiB = 19_456;
    private const int Iterations = 2;
    private const int Parallelism = 1;
    private const int HashBytes = 32;

    /// <summary>Hashing a known value when the account does not exist keeps login time the same either way.</summary>
    private static readonly Lazy<string> DecoyHash = new(() => Create("decoy password for unknown accounts"));

    /// <summary>One per core, shared by every host in the process: the cores are.</summary>
    private static readonly HashingThreads Threads = new(Environment.ProcessorCount);

    public Task<string> HashAsync(string password) => Threads.RunAsync(() => Create(password));

    public Task<bool> VerifyAsync(string password, string? phc) => Threads.RunAsync(() => Verify(password, phc));

    private static string Create(string password)
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var hash = Compute(password, salt, MemoryKiB, Iterations, Parallelism, HashBytes);
        return $"$argon2id$v=19$m={MemoryKiB},t={Iterations},p={Parallelism}${Unpadded(salt)}${Unpadded(hash)}";
    }

    /// <summary>Checks <paramref name="password"/> against a PHC string; any malformed hash fails.</summary>
    private static bool Verify(string password, string? phc)
    {
        var parts = (phc ?? DecoyHash.Value).Split('$');
        if (parts is not ["", "argon2id", "v=19", var parameters, var salt, var expected]) return false;
        var values = parameters.Split(',').Select(p => p.Split('=')).ToDictionary(p => p[0], p => int.Parse(p[1]));
        var expectedBytes = Convert.FromBase64String(Padded(expected));
        var actual = Compute(password, Convert.FromBase64String(Padded(salt)), values["m"], values["t"], values["p"], expectedBytes.Length);
        return CryptographicOperations.FixedTimeEquals(actual, expectedBytes) && phc is not null;
    }

    private static byte[] Compute(string password, byte[] salt, int memoryKiB, int iterations, int parallelism, int length)
    {
        using var argon2 = new Argon2id(Encoding.UTF8.GetBytes(password))
        {
            Salt = salt,
            MemorySize = memoryKiB,
            Iterations = iterations,
            DegreeOfParallelism = parallelism,
        };
        return argon2.GetBytes(length);
    }

    private static string Unpadded(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=');

    private static string Padded(string base64) => base64.PadRight(base64.Length + (4 - base64.Length % 4) % 4, '=');
}
