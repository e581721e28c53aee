using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Spokes.Pushd.Delivery;

/// <summary>
/// VAPID (RFC 8292): the <c>Authorization: vapid t=JWT, k=KEY</c> header that tells a push service which
/// application server sends. The token names the endpoint's origin as audience; one is kept per origin until an
/// hour before it expires.
/// </summary>
public sealed class VapidSigner : IDisposable
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromHours(12);
    private static readonly TimeSpan RenewBefore = TimeSpan.FromHours(1);

    private readonly ECDsa _key;
    private readonly string _publicKey;
    private readonly string _subject;
    private readonly TimeProvider _clock;
    private readonly ConcurrentDictionary<string, (string Header, DateTimeOffset Expires)> _byAudience = new();

    /// <param name="publicKey">The uncompressed P-256 point, base64url (what <c>GET /</c> announces as <c>vapid</c>).</param>
    /// <param name="privateKey">The private scalar, base64url.</param>
    /// <param name="subject">A <c>mailto:</c> or <c>https:</c> contact for the push service's operators.</param>
    public VapidSigner(string publicKey, string privateKey, string subject, TimeProvider clock)
    {
        var point = Base64Url.Decode(publicKey);
        if (point is not { Length: 65 } || point[0] != 0x04) throw new ArgumentException("The VAPID public key must be an uncompressed P-256 point.", nameof(publicKey));
        _key = ECDsa.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            D = Base64Url.Decode(privateKey),
            Q = new ECPoint { X = point[1..33], Y = point[33..65] },
        });
        _publicKey = Base64Url.Encode(point);
        _subject = subject;
        _clock = clock;
    }

    public string PublicKey => _publicKey;

    /// <summary>The Authorization header value for a request to <paramref name="endpoint"/>.</summary>
    public string AuthorizationFor(Uri endpoint)
    {
        var audience = endpoint.GetLeftPart(UriPartial.Authority);
        var now = _clock.GetUtcNow();
        if (_byAudience.TryGetValue(audience, out var cached) && cached.Expires - RenewBefore > now) return cached.Header;
        var expires = now + Lifetime;
        var token = JsonWebToken.SignEs256(_key,
            new Dictionary<string, object> { ["typ"] = "JWT", ["alg"] = "ES256" },
            new Dictionary<string, object> { ["aud"] = audience, ["exp"] = expires.ToUnixTimeSeconds(), ["sub"] = _subject });
        var header = $"vapid t={token}, k={_publicKey}";
        _byAudience[audience] = (header, expires);
        return header;
    }

    public void Dispose() => _key.Dispose();
}
