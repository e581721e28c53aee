using System.Text;
using System.Text.Json;
using NSec.Cryptography;
using Spokes.Api.Setup;

namespace Spokes.Api.Tests;

public class SetupRulesTests
{
    [Theory]
    [InlineData("https://chat.example.com/", 7881, 50000, 60000, null)]
    [InlineData("https://chat.example.com", 443, 50000, 60000, "is the public URL's port")]
    [InlineData("http://chat.example.com:8080", 8080, 50000, 60000, "is the public URL's port")]
    [InlineData("https://chat.example.com", 7881, 60000, 50000, "must start at or below its end")]
    [InlineData("https://chat.example.com", 0, 50000, 60000, "TCP port must be between")]
    [InlineData("https://chat.example.com", 7881, 50000, 70000, "UDP ports must be between")]
    [InlineData("ftp://chat.example.com", 7881, 50000, 60000, "public URL must be")]
    [InlineData("https://user:pw@chat.example.com", 7881, 50000, 60000, "public URL must be")]
    public void The_network_answers_are_checked_together(string url, int tcp, int udpStart, int udpEnd, string? error)
    {
        if (error is null)
        {
            var network = SetupRules.Network(url, tcp, udpStart, udpEnd);
            Assert.Equal("https://chat.example.com", network.PublicUrl);
            return;
        }
        Assert.Contains(error, Assert.Throws<SetupAnswerException>(() => SetupRules.Network(url, tcp, udpStart, udpEnd)).Message);
    }

    [Theory]
    [InlineData("https://id.example.com", true)]
    [InlineData("http://127.0.0.1:9000", true)]
    [InlineData("http://localhost:9000", true)]
    [InlineData("http://id.example.com", false)]
    [InlineData("https://id.example.com?x=1", false)]
    [InlineData("not a url", false)]
    public void An_issuer_is_https_or_on_this_machine(string issuer, bool accepted)
    {
        if (accepted) Assert.Equal(issuer, SetupRules.Oidc(issuer, "client", "secret").Issuer);
        else Assert.Throws<SetupAnswerException>(() => SetupRules.Oidc(issuer, "client", "secret"));
    }

    [Fact]
    public void Only_an_external_provider_may_switch_built_in_accounts_off()
    {
        Assert.True(SetupRules.Identity(IdentityMode.Builtin, builtinAccounts: false, null).BuiltinAccounts);
        Assert.False(SetupRules.Identity(IdentityMode.Oidc, builtinAccounts: false, new OidcProvider("https://id.example.com", "c", "s")).BuiltinAccounts);
        Assert.Throws<SetupAnswerException>(() => SetupRules.Identity(IdentityMode.Oidc, true, null));
    }

    private static readonly DateOnly Today = new(2026, 12, 7);

    private static (string VerifyingKey, byte[] File) License(DateOnly expires, Func<string, string>? tamper = null)
    {
        using var key = Key.Create(SignatureAlgorithm.Ed25519);
        var signature = SignatureAlgorithm.Ed25519.Sign(key, LicenseFile.SignedText("Example GmbH", "business", 250, expires));
        var json = JsonSerializer.Serialize(new { licensee = "Example GmbH", edition = "business", seats = 250, expires = expires.ToString("yyyy-MM-dd"), signature = Convert.ToBase64String(signature) });
        return (Convert.ToBase64String(key.PublicKey.Export(KeyBlobFormat.RawPublicKey)), Encoding.UTF8.GetBytes(tamper?.Invoke(json) ?? json));
    }

    [Fact]
    public void A_licence_signed_with_the_configured_key_is_read_offline()
    {
        var (key, file) = License(new DateOnly(2027, 12, 31));
        var license = LicenseFile.Verify(file, key, Today);
        Assert.Equal(new LicenseInfo("Example GmbH", "business", 250, new DateOnly(2027, 12, 31)), license);
    }

    [Fact]
    public void A_licence_changed_after_signing_signed_by_another_key_or_expired_is_refused()
    {
        var (key, changed) = License(new DateOnly(2027, 12, 31), json => json.Replace("250", "9999"));
        Assert.Contains("signature does not match", Assert.Throws<SetupAnswerException>(() => LicenseFile.Verify(changed, key, Today)).Message);

        var (_, file) = License(new DateOnly(2027, 12, 31));
        var (otherKey, _) = License(new DateOnly(2027, 12, 31));
        Assert.Contains("signature does not match", Assert.Throws<SetupAnswerException>(() => LicenseFile.Verify(file, otherKey, Today)).Message);

        var (expiredKey, expired) = License(new DateOnly(2026, 12, 6));
        Assert.Contains("expired", Assert.Throws<SetupAnswerException>(() => LicenseFile.Verify(expired, expiredKey, Today)).Message);

        Assert.Contains("not a licence file", Assert.Throws<SetupAnswerException>(() => LicenseFile.Verify("{}"u8, key, Today)).Message);
        Assert.Contains("no licence verifying key", Assert.Throws<SetupAnswerException>(() => LicenseFile.Verify(file, null, Today)).Message);
    }
}
