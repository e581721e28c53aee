using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace Spokes.TunnelEdge.Access;

/// <summary>
/// One tunnel's visitor controls: a visitor in <see cref="Deny"/> is refused; when <see cref="Allow"/> has entries,
/// only visitors in one of them get in (Packetriot's drop and allow rules). HTTP visitors also need the basic
/// password when one is set.
/// </summary>
public sealed record TunnelAccess(IReadOnlyList<IPNetwork> Allow, IReadOnlyList<IPNetwork> Deny, string? PasswordUser, string? PasswordHash)
{
    public const int MaxRules = 100;
    // Every request of a visitor carries the password: few enough iterations that checking it is no denial-of-service lever.
    private const int Iterations = 10_000;

    public static readonly TunnelAccess Open = new([], [], null, null);

    public bool IsOpen => Allow.Count == 0 && Deny.Count == 0 && PasswordHash is null;

    public bool Admits(IPAddress? visitor)
    {
        if (Allow.Count == 0 && Deny.Count == 0) return true;
        if (visitor is null) return false;
        if (visitor.IsIPv4MappedToIPv6) visitor = visitor.MapToIPv4();
        if (Deny.Any(n => n.Contains(visitor))) return false;
        return Allow.Count == 0 || Allow.Any(n => n.Contains(visitor));
    }

    /// <summary>Parses a CIDR (<c>10.0.0.0/8</c>, <c>2001:db8::/32</c>) or one address (a /32 or /128).</summary>
    public static bool TryParseNetwork(string text, out IPNetwork network)
    {
        text = text.Trim();
        if (!text.Contains('/') && IPAddress.TryParse(text, out var address))
        {
            network = new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
            return true;
        }
        // An address with bits past the prefix (10.0.0.1/8) is refused: it is likely a typo, not the network meant.
        var slash = text.IndexOf('/');
        return IPNetwork.TryParse(text, out network) && slash > 0 && IPAddress.TryParse(text.AsSpan(0, slash), out var given) && network.BaseAddress.Equals(given);
    }

    /// <summary>The stored form of a password: PBKDF2-SHA256 with a random salt.</summary>
    public static string HashPassword(string password)
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var hash = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, Iterations, HashAlgorithmName.SHA256, 32);
        return $"pbkdf2-sha256${Iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}";
    }

    public bool PasswordMatches(string user, string password)
    {
        if (PasswordHash is null || PasswordUser is null) return true;
        var parts = PasswordHash.Split('$');
        if (parts.Length != 4 || !int.TryParse(parts[1], out var iterations)) return false;
        var expected = Convert.FromBase64String(parts[3]);
        var actual = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), Convert.FromBase64String(parts[2]), iterations, HashAlgorithmName.SHA256, expected.Length);
        return CryptographicOperations.FixedTimeEquals(actual, expected)
            & CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(user), Encoding.UTF8.GetBytes(PasswordUser));
    }
}
