using System.Security.Cryptography;
using Spokes.AppHost.Suite;
using Spokes.TestSupport;

namespace Spokes.AppHost.Tests;

public class SecretStoreTests
{
    [Fact]
    public void A_secret_is_made_once_and_kept_for_later_runs_in_a_file_only_its_owner_reads()
    {
        using var folder = new TemporaryFolder();
        var path = Path.Combine(folder.Path, "secrets.json");
        var first = new SecretStore(path).GetOrCreate("redis-password", () => SecretStore.NewPassword());
        var again = new SecretStore(path).GetOrCreate("redis-password", () => "different");
        Assert.Equal(first, again);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
    }

    [Fact]
    public void A_damaged_secrets_file_is_reported_not_overwritten()
    {
        using var folder = new TemporaryFolder();
        var path = Path.Combine(folder.Path, "secrets.json");
        File.WriteAllText(path, "{ not json");
        var error = Assert.Throws<InvalidOperationException>(() => new SecretStore(path).GetOrCreate("x", () => "y"));
        Assert.Contains("damaged", error.Message);
        Assert.Equal("{ not json", File.ReadAllText(path));
    }

    [Fact]
    public void Passwords_are_url_safe_and_random()
    {
        var a = SecretStore.NewPassword();
        Assert.Matches("^[A-Za-z0-9_-]{32}$", a);
        Assert.NotEqual(a, SecretStore.NewPassword());
    }

    [Fact]
    public void Vapid_keys_form_a_working_p256_pair()
    {
        var (publicKey, privateKey) = SecretStore.NewVapidKeyPair();
        static byte[] Decode(string s) => Convert.FromBase64String(s.Replace('-', '+').Replace('_', '/').PadRight(s.Length + (4 - s.Length % 4) % 4, '='));
        var point = Decode(publicKey);
        Assert.Equal(65, point.Length);
        Assert.Equal(0x04, point[0]);

        using var signer = ECDsa.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            D = Decode(privateKey),
            Q = new ECPoint { X = point[1..33], Y = point[33..] },
        });
        using var verifier = ECDsa.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, Q = new ECPoint { X = point[1..33], Y = point[33..] } });
        var data = "vapid"u8.ToArray();
        Assert.True(verifier.VerifyData(data, signer.SignData(data, HashAlgorithmName.SHA256), HashAlgorithmName.SHA256));
    }
}
