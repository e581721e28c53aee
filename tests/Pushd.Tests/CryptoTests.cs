using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Spokes.Pushd.Delivery;

namespace Spokes.Pushd.Tests;

public sealed class CryptoTests
{
    /// <summary>RFC 8291 Appendix A, byte for byte (npm http_ece reproduces it from the same inputs).</summary>
    [Fact]
    public void Encryption_reproduces_the_worked_example_of_RFC_8291()
    {
        using var senderKey = ECDiffieHellman.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            D = Base64Url.Decode("yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw"),
            Q = Point("BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8"),
        });

        var body = WebPushEncryption.Encrypt("When I grow up, I want to be a watermelon"u8,
            Base64Url.Decode("BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4"),
            Base64Url.Decode("BTBZMqHH6r4Tts7J_aSIgg"), senderKey, Base64Url.Decode("DGv6ra1nlYgDCS1FRnbzlw"));

        Assert.Equal("DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN",
            Base64Url.Encode(body));
    }

    [Fact]
    public void Each_encryption_uses_a_fresh_key_and_salt()
    {
        using var browser = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var p256dh = Base64Url.Encode(WebPushEncryption.PublicPoint(browser));
        var auth = Base64Url.Encode(RandomNumberGenerator.GetBytes(16));

        var first = WebPushEncryption.Encrypt("same"u8, p256dh, auth);
        var second = WebPushEncryption.Encrypt("same"u8, p256dh, auth);

        Assert.NotEqual(first[..16], second[..16]);
        Assert.NotEqual(first[21..86], second[21..86]);
        Assert.Equal(86 + 4 + 1 + 16, first.Length);
    }

    [Fact]
    public void Keys_no_browser_makes_are_refused()
    {
        Assert.Throws<ArgumentException>(() => WebPushEncryption.Encrypt("x"u8, Base64Url.Encode(new byte[33]), Base64Url.Encode(new byte[16])));
        using var browser = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        Assert.Throws<ArgumentException>(() => WebPushEncryption.Encrypt("x"u8, Base64Url.Encode(WebPushEncryption.PublicPoint(browser)), Base64Url.Encode(new byte[8])));
        Assert.Throws<ArgumentException>(() => WebPushEncryption.Encrypt(new byte[WebPushEncryption.MaxPlaintextLength + 1],
            Base64Url.Encode(WebPushEncryption.PublicPoint(browser)), Base64Url.Encode(new byte[16])));
    }

    [Fact]
    public void Vapid_header_carries_an_ES256_token_for_the_endpoint_origin_signed_by_the_announced_key()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var parameters = key.ExportParameters(true);
        var publicKey = Base64Url.Encode(WebPushEncryption.PublicPoint(key));
        var clock = new FixedClock(DateTimeOffset.Parse("2026-12-07T00:00:00Z"));
        using var signer = new VapidSigner(publicKey, Base64Url.Encode(parameters.D!), "mailto:ops@example.com", clock);

        var header = signer.AuthorizationFor(new Uri("https://push.example.net:8443/send/abc?x=1"));

        Assert.StartsWith("vapid t=", header);
        Assert.EndsWith($", k={publicKey}", header);
        var token = header["vapid t=".Length..header.IndexOf(',')];
        var (head, claims) = Verify(token, key);
        Assert.Equal("ES256", head.GetProperty("alg").GetString());
        Assert.Equal("https://push.example.net:8443", claims.GetProperty("aud").GetString());
        Assert.Equal("mailto:ops@example.com", claims.GetProperty("sub").GetString());
        Assert.Equal(clock.GetUtcNow().AddHours(12).ToUnixTimeSeconds(), claims.GetProperty("exp").GetInt64());

        // One token per origin while it is fresh; a new one when it nears its expiry.
        Assert.Equal(header, signer.AuthorizationFor(new Uri("https://push.example.net:8443/other")));
        Assert.NotEqual(header, signer.AuthorizationFor(new Uri("https://push.example.org/other")));
        clock.Now += TimeSpan.FromHours(11.5);
        Assert.NotEqual(header, signer.AuthorizationFor(new Uri("https://push.example.net:8443/other")));
    }

    [Fact]
    public void Rs256_tokens_verify_with_the_public_key()
    {
        using var key = RSA.Create(2048);
        var token = JsonWebToken.SignRs256(key, new Dictionary<string, object> { ["alg"] = "RS256" }, new Dictionary<string, object> { ["iss"] = "me" });
        var parts = token.Split('.');
        Assert.True(key.VerifyData(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), Base64Url.Decode(parts[2]), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
        Assert.Equal("me", JsonDocument.Parse(Base64Url.Decode(parts[1])).RootElement.GetProperty("iss").GetString());
    }

    /// <summary>Checks an ES256 token's signature (raw r‖s) and returns its header and claims.</summary>
    public static (JsonElement Header, JsonElement Claims) Verify(string token, ECDsa key)
    {
        var parts = token.Split('.');
        Assert.Equal(3, parts.Length);
        Assert.True(key.VerifyData(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), Base64Url.Decode(parts[2]), HashAlgorithmName.SHA256,
            DSASignatureFormat.IeeeP1363FixedFieldConcatenation), "the ES256 signature does not verify");
        return (JsonDocument.Parse(Base64Url.Decode(parts[0])).RootElement, JsonDocument.Parse(Base64Url.Decode(parts[1])).RootElement);
    }

    private static ECPoint Point(string uncompressed)
    {
        var bytes = Base64Url.Decode(uncompressed);
        return new ECPoint { X = bytes[1..33], Y = bytes[33..65] };
    }
}

public sealed class FixedClock(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;
}
