using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using Spokes.Api.Configuration;
using Spokes.Api.Errors;

namespace Spokes.Api.Identity;

/// <summary>hCaptcha's server-side check, on the routes Stoat guards with it (sign-up, resend verification, password reset).</summary>
public sealed class CaptchaVerifier(IOptionsMonitor<ApiOptions> options, IHttpClientFactory http, ILogger<CaptchaVerifier> logger)
{
    public const string HttpClientName = "captcha";

    private sealed record SiteVerifyResponse([property: JsonPropertyName("success")] bool Success);

    /// <summary>Passes when captcha is off; otherwise the answer must be present and accepted by the verifier.</summary>
    public async Task RequireAsync(string? answer, CancellationToken cancellationToken)
    {
        var current = options.CurrentValue;
        if (string.IsNullOrEmpty(current.CaptchaKey) || string.IsNullOrEmpty(current.CaptchaSecret)) return;
        if (string.IsNullOrWhiteSpace(answer)) throw StoatException.CaptchaFailed();

        SiteVerifyResponse? verdict;
        try
        {
            using var response = await http.CreateClient(HttpClientName).PostAsync(current.CaptchaVerifyUrl, new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["secret"] = current.CaptchaSecret, ["response"] = answer, ["sitekey"] = current.CaptchaKey,
            }), cancellationToken);
            verdict = response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<SiteVerifyResponse>(cancellationToken) : null;
        }
        catch (Exception e) when (e is HttpRequestException or System.Text.Json.JsonException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning(e, "The captcha verifier at {Url} could not be asked", current.CaptchaVerifyUrl);
            verdict = null;
        }
        if (verdict?.Success != true) throw StoatException.CaptchaFailed();
    }
}
