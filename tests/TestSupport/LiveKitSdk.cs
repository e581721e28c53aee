using System.Text.Json.Nodes;

namespace Spokes.TestSupport;

/// <summary>
/// LiveKit's own server SDK (npm <c>livekit-server-sdk</c>, <c>tests/conformance/livekit-sdk.mjs</c>) judging what
/// Spokes signs: it verifies the access tokens the Api hands out, and signs webhooks as a LiveKit node does for
/// Voice-Ingress to verify. One <c>node</c> run per question, so a test needs no server of its own.
/// </summary>
public static class LiveKitSdk
{
    /// <summary>The claims the SDK's <c>TokenVerifier</c> reads from <paramref name="token"/>; throws with its reason when it refuses it.</summary>
    public static async Task<JsonObject> VerifyTokenAsync(string token, string apiKey, string apiSecret) =>
        (JsonObject)JsonNode.Parse(await RunAsync("verify-token", new JsonObject { ["token"] = token, ["apiKey"] = apiKey, ["apiSecret"] = apiSecret }))!;

    /// <summary>A webhook as a node signs it: its body (LiveKit's JSON of a <c>WebhookEvent</c>) and its <c>Authorization</c> header.</summary>
    /// <param name="source">A track source for track events: <c>MICROPHONE</c>, <c>CAMERA</c>, <c>SCREEN_SHARE</c>.</param>
    public static async Task<(string Body, string Authorization)> WebhookAsync(string apiKey, string apiSecret, string @event, string room,
        string? identity = null, string? source = null)
    {
        var answer = JsonNode.Parse(await RunAsync("webhook", new JsonObject
        {
            ["event"] = @event,
            ["room"] = room,
            ["identity"] = identity,
            ["source"] = source,
            ["apiKey"] = apiKey,
            ["apiSecret"] = apiSecret,
        }))!;
        return (answer["body"]!.GetValue<string>(), answer["authorization"]!.GetValue<string>());
    }

    private static async Task<string> RunAsync(string command, JsonObject request)
    {
        using var process = ConformanceScripts.Start("livekit-server-sdk", "livekit-sdk.mjs", command);
        await process.StandardInput.WriteAsync(request.ToJsonString());
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        if (process.ExitCode != 0) throw new LiveKitSdkRefusal(await error);
        return await output;
    }
}

/// <summary>The SDK refused what it was given; the message is its own.</summary>
public sealed class LiveKitSdkRefusal(string message) : Exception(message);
