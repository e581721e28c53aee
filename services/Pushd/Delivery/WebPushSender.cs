using System.Net;
using System.Net.Http.Headers;
using Spokes.Pushd.Notifications;

namespace Spokes.Pushd.Delivery;

/// <summary>
/// Web Push (RFC 8030) with <c>aes128gcm</c> payloads (RFC 8291) and VAPID (RFC 8292). Endpoints are URLs users
/// gave, so requests go through the egress client (public addresses only, no redirects).
/// </summary>
public sealed class WebPushSender(IHttpClientFactory httpClients, VapidSigner vapid, RetryPolicy retries, TimeProvider clock, ILogger<WebPushSender> logger)
    : IPushSender
{
    public const string HttpClientName = "web-push";

    /// <summary>How long a push service keeps a message for an offline browser.</summary>
    public static readonly TimeSpan TimeToLive = TimeSpan.FromDays(1);

    public PushService Service => PushService.WebPush;

    public async Task<DeliveryOutcome> SendAsync(PushTarget target, Notification notification, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(target.Endpoint, UriKind.Absolute, out var endpoint) || endpoint.Scheme is not ("https" or "http"))
            return DeliveryOutcome.Gone;
        byte[] body;
        try
        {
            body = WebPushEncryption.Encrypt(notification.WebPushPayload(WebPushEncryption.MaxPlaintextLength), target.P256dh, target.Auth);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or System.Security.Cryptography.CryptographicException)
        {
            // Keys no browser could have made: nothing will ever be delivered there.
            logger.LogInformation("Web Push subscription of session {Session} has unusable keys: {Reason}", target.SessionId, e.Message);
            return DeliveryOutcome.Gone;
        }

        var client = httpClients.CreateClient(HttpClientName);
        for (var attempt = 1; ; attempt++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            request.Content.Headers.ContentEncoding.Add("aes128gcm");
            request.Headers.TryAddWithoutValidation("Authorization", vapid.AuthorizationFor(endpoint));
            request.Headers.Add("TTL", ((int)TimeToLive.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture));
            request.Headers.Add("Urgency", notification.Kind is NotificationKind.Message or NotificationKind.Call ? "high" : "normal");
            if (notification.Tag is { Length: > 0 and <= 32 } tag) request.Headers.Add("Topic", tag);

            RetryConditionHeaderValue? retryAfter = null;
            try
            {
                using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
                if (response.IsSuccessStatusCode) return DeliveryOutcome.Delivered;
                if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Gone) return DeliveryOutcome.Gone;
                if (!RetryPolicy.IsTransient(response.StatusCode))
                {
                    logger.LogWarning("Web Push to {Host} refused with {Status}", endpoint.Host, (int)response.StatusCode);
                    return DeliveryOutcome.Failed;
                }
                retryAfter = response.Headers.RetryAfter;
            }
            catch (HttpRequestException e) when (Egress.EgressRefusedException.IsRefusal(e))
            {
                logger.LogWarning("Web Push endpoint {Host} is not a public address; not sent", endpoint.Host);
                return DeliveryOutcome.Failed;
            }
            catch (Exception e) when (e is HttpRequestException || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
            {
                logger.LogInformation("Web Push to {Host} failed: {Reason}", endpoint.Host, e.Message);
            }

            if (retries.DelayAfter(attempt, retryAfter, clock.GetUtcNow()) is not { } delay)
            {
                logger.LogWarning("Web Push to {Host} gave up after {Attempts} attempts", endpoint.Host, attempt);
                return DeliveryOutcome.Failed;
            }
            await Task.Delay(delay, clock, cancellationToken);
        }
    }
}
