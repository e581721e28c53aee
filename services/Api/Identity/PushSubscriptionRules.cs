using Spokes.Api.Errors;
using Spokes.Api.Models;
using Spokes.Api.Storage;

namespace Spokes.Api.Identity;

/// <summary>
/// What a session's push subscription may be. Stoat stores any three strings; Pushd will send to the endpoint, so
/// only a push service's https URL (no credentials in it) or Stoat's <c>fcm</c> / <c>apn</c> markers are taken,
/// and every field is bounded.
/// </summary>
public static class PushSubscriptionRules
{
    public const int MaxEndpointLength = 2048;
    public const int MaxKeyLength = 4096;

    public static WebPushSubscription Validate(PushSubscriptionRequest request)
    {
        var endpoint = request.Endpoint ?? throw StoatException.FailedValidation("endpoint is required");
        var p256dh = request.P256dh ?? throw StoatException.FailedValidation("p256dh is required");
        var auth = request.Auth ?? throw StoatException.FailedValidation("auth is required");
        if (endpoint.Length > MaxEndpointLength) throw StoatException.FailedValidation($"endpoint must be at most {MaxEndpointLength} characters");
        if (endpoint is not ("fcm" or "apn") && !IsPushServiceUrl(endpoint))
            throw StoatException.FailedValidation("endpoint must be an https URL, fcm or apn");
        if (p256dh.Length > MaxKeyLength || auth.Length > MaxKeyLength)
            throw StoatException.FailedValidation($"p256dh and auth must be at most {MaxKeyLength} characters");
        return new WebPushSubscription(endpoint, p256dh, auth);
    }

    private static bool IsPushServiceUrl(string endpoint) =>
        Uri.TryCreate(endpoint, UriKind.Absolute, out var url) && url.Scheme == Uri.UriSchemeHttps && url.UserInfo.Length == 0 && url.Host.Length > 0;
}
