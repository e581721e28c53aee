using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Spokes.Pushd.Notifications;

namespace Spokes.Pushd.Delivery;

/// <summary>
/// Apple Push Notification service over HTTP/2 with a provider token (ES256 JWT naming the key and team), which
/// Apple wants renewed between 20 and 60 minutes: it is kept 40. <c>410 Unregistered</c> removes the device token.
/// </summary>
public sealed class ApnsSender : IPushSender, IDisposable
{
    public const string HttpClientName = "apns";
    private static readonly TimeSpan TokenLifetime = TimeSpan.FromMinutes(40);

    private readonly IHttpClientFactory _httpClients;
    private readonly RetryPolicy _retries;
    private readonly TimeProvider _clock;
    private readonly ILogger<ApnsSender> _logger;
    private readonly ApnsOptions _options;
    private readonly ECDsa _key;
    private (string Token, DateTimeOffset Renew)? _providerToken;

    public ApnsSender(IHttpClientFactory httpClients, IOptions<PushdOptions> options, RetryPolicy retries, TimeProvider clock, ILogger<ApnsSender> logger)
    {
        _httpClients = httpClients;
        _retries = retries;
        _clock = clock;
        _logger = logger;
        _options = options.Value.Apns;
        _key = ECDsa.Create();
        if (_options.PrivateKey.Contains("-----BEGIN", StringComparison.Ordinal)) _key.ImportFromPem(_options.PrivateKey);
        else _key.ImportPkcs8PrivateKey(Convert.FromBase64String(_options.PrivateKey), out _);
    }

    public PushService Service => PushService.Apns;

    public string ProviderToken()
    {
        var now = _clock.GetUtcNow();
        if (_providerToken is { } cached && cached.Renew > now) return cached.Token;
        var token = JsonWebToken.SignEs256(_key,
            new Dictionary<string, object> { ["alg"] = "ES256", ["kid"] = _options.KeyId },
            new Dictionary<string, object> { ["iss"] = _options.TeamId, ["iat"] = now.ToUnixTimeSeconds() });
        _providerToken = (token, now + TokenLifetime);
        return token;
    }

    /// <summary>The notification as Apple shows it (Stoat's alert, localised keys for friend requests).</summary>
    public static JsonObject Payload(Notification notification)
    {
        if (notification.Kind == NotificationKind.Call)
        {
            // Stoat's CallStartStopPayload: no alert; the app rings, or stops ringing, from the fields.
            return new JsonObject
            {
                ["aps"] = new JsonObject { ["mutable-content"] = 1 },
                ["initiator_id"] = notification.UserId,
                ["channel_id"] = notification.ChannelId,
                ["started_at"] = notification.Call?.StartedAt ?? "",
                ["ended"] = notification.Call?.Ended == true,
            };
        }
        var alert = notification.Kind switch
        {
            NotificationKind.FriendRequestReceived => new JsonObject { ["loc-key"] = "push.fr.received", ["loc-args"] = new JsonArray(notification.Title) },
            NotificationKind.FriendRequestAccepted => new JsonObject { ["loc-key"] = "push.fr.accepted", ["loc-args"] = new JsonArray(notification.Title) },
            _ => new JsonObject { ["title"] = notification.Title, ["body"] = notification.Body },
        };
        var payload = new JsonObject
        {
            ["aps"] = new JsonObject { ["alert"] = alert, ["sound"] = "default", ["mutable-content"] = 1, ["thread-id"] = notification.Tag },
        };
        if (notification.Kind == NotificationKind.Message)
        {
            payload["message"] = new JsonObject { ["_id"] = notification.MessageId, ["channel"] = notification.ChannelId, ["author"] = notification.UserId };
            payload["url"] = notification.Url;
            payload["authorAvatar"] = notification.Icon;
            payload["authorDisplayName"] = notification.Title;
        }
        return payload;
    }

    public async Task<DeliveryOutcome> SendAsync(PushTarget target, Notification notification, CancellationToken cancellationToken)
    {
        var client = _httpClients.CreateClient(HttpClientName);
        var url = $"{_options.BaseUrl.TrimEnd('/')}/3/device/{Uri.EscapeDataString(target.Auth)}";
        var payload = Payload(notification);
        for (var attempt = 1; ; attempt++)
        {
            System.Net.Http.Headers.RetryConditionHeaderValue? retryAfter = null;
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, url)
                {
                    Version = HttpVersion.Version20,
                    VersionPolicy = HttpVersionPolicy.RequestVersionExact,
                    Content = JsonContent.Create(payload),
                };
                request.Headers.Authorization = new("bearer", ProviderToken());
                request.Headers.Add("apns-topic", _options.Topic);
                request.Headers.Add("apns-push-type", "alert");
                request.Headers.Add("apns-priority", "10");
                if (notification.Tag is { Length: > 0 and <= 64 } tag) request.Headers.Add("apns-collapse-id", tag);
                using var response = await client.SendAsync(request, cancellationToken);
                if (response.IsSuccessStatusCode) return DeliveryOutcome.Delivered;
                var reason = await response.Content.ReadAsStringAsync(cancellationToken);
                if (response.StatusCode == HttpStatusCode.Gone || reason.Contains("\"BadDeviceToken\"", StringComparison.Ordinal)) return DeliveryOutcome.Gone;
                if (response.StatusCode == HttpStatusCode.Forbidden && reason.Contains("ExpiredProviderToken", StringComparison.Ordinal)) _providerToken = null;
                else if (!RetryPolicy.IsTransient(response.StatusCode))
                {
                    _logger.LogWarning("APNs refused a notification with {Status}: {Reason}", (int)response.StatusCode, reason);
                    return DeliveryOutcome.Failed;
                }
                retryAfter = response.Headers.RetryAfter;
            }
            catch (Exception e) when (e is HttpRequestException || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
            {
                _logger.LogInformation("APNs request failed: {Reason}", e.Message);
            }
            if (_retries.DelayAfter(attempt, retryAfter, _clock.GetUtcNow()) is not { } delay) return DeliveryOutcome.Failed;
            await Task.Delay(delay, _clock, cancellationToken);
        }
    }

    public void Dispose() => _key.Dispose();
}
