using System.Security.Cryptography;
using Spokes.Contracts.Voice;

namespace Spokes.VoiceIngress.Webhooks;

/// <summary>
/// LiveKit signs each webhook as its SDK's <c>WebhookReceiver</c> checks it: the <c>Authorization</c> header is a
/// JWT issued by the node's API key and signed with its secret, whose <c>sha256</c> claim is the base64 SHA-256 of
/// the body. Anything else did not come from the node.
/// </summary>
public static class WebhookVerifier
{
    public static bool IsFrom(LiveKitNode node, string? authorization, ReadOnlySpan<byte> body, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(authorization)) return false;
        var token = authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? authorization[7..].Trim() : authorization.Trim();
        if (LiveKitJwt.Verify(token, node.ApiKey, node.ApiSecret, now) is not { } claims) return false;
        var expected = Convert.ToBase64String(SHA256.HashData(body));
        return claims["sha256"] is { } sha256 && sha256.GetValueKind() == System.Text.Json.JsonValueKind.String
            && CryptographicOperations.FixedTimeEquals(System.Text.Encoding.ASCII.GetBytes(sha256.GetValue<string>()), System.Text.Encoding.ASCII.GetBytes(expected));
    }
}
