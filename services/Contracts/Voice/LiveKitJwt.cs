using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Spokes.Contracts.Voice;

/// <summary>
/// LiveKit's tokens: HS256 JWTs whose issuer is the node's API key, signed with its secret. The Api signs access
/// tokens for clients and admin tokens for RoomService; LiveKit signs its webhooks the same way, which
/// Voice-Ingress verifies.
/// </summary>
public static class LiveKitJwt
{
    private static readonly byte[] Header = Encoding.UTF8.GetBytes("""{"alg":"HS256","typ":"JWT"}""");

    /// <summary>A token issued now by <paramref name="apiKey"/>, valid for <paramref name="lifetime"/>, with <paramref name="claims"/> beside the registered ones.</summary>
    public static string Sign(string apiKey, string apiSecret, JsonObject claims, TimeSpan lifetime, DateTimeOffset now)
    {
        var payload = new JsonObject
        {
            ["iss"] = apiKey,
            ["nbf"] = now.ToUnixTimeSeconds(),
            ["exp"] = (now + lifetime).ToUnixTimeSeconds(),
        };
        foreach (var (name, value) in claims) payload[name] = value?.DeepClone();
        var signed = Base64Url.EncodeToString(Header) + "." + Base64Url.EncodeToString(Encoding.UTF8.GetBytes(payload.ToJsonString()));
        return signed + "." + Base64Url.EncodeToString(HMACSHA256.HashData(Encoding.UTF8.GetBytes(apiSecret), Encoding.UTF8.GetBytes(signed)));
    }

    /// <summary>
    /// The claims of <paramref name="token"/> if it is an HS256 JWT issued by <paramref name="apiKey"/>, signed with
    /// <paramref name="apiSecret"/> and valid at <paramref name="now"/> (a minute's leeway for clocks); otherwise null.
    /// </summary>
    public static JsonObject? Verify(string token, string apiKey, string apiSecret, DateTimeOffset now)
    {
        var parts = token.Split('.');
        if (parts.Length != 3) return null;
        try
        {
            var header = JsonNode.Parse(Base64Url.DecodeFromChars(parts[0])) as JsonObject;
            if (header?["alg"]?.GetValue<string>() != "HS256") return null;
            var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(apiSecret), Encoding.UTF8.GetBytes(parts[0] + "." + parts[1]));
            if (!CryptographicOperations.FixedTimeEquals(expected, Base64Url.DecodeFromChars(parts[2]))) return null;
            if (JsonNode.Parse(Base64Url.DecodeFromChars(parts[1])) is not JsonObject claims) return null;
            if (claims["iss"]?.GetValue<string>() != apiKey) return null;
            var leeway = TimeSpan.FromMinutes(1);
            if (claims["exp"] is not { } exp || DateTimeOffset.FromUnixTimeSeconds(exp.GetValue<long>()) + leeway < now) return null;
            if (claims["nbf"] is { } nbf && DateTimeOffset.FromUnixTimeSeconds(nbf.GetValue<long>()) - leeway > now) return null;
            return claims;
        }
        catch (Exception e) when (e is FormatException or JsonException or InvalidOperationException)
        {
            return null;
        }
    }
}
