using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Spokes.Pushd.Notifications;

namespace Spokes.Pushd.Delivery;

/// <summary>
/// Firebase Cloud Messaging, HTTP v1: a service-account JWT (RS256) is exchanged for an OAuth2 access token, which is
/// kept until shortly before it expires; each device token gets its own message. <c>UNREGISTERED</c> removes it.
/// </summary>
public sealed class FcmSender : IPushSender, IDisposable
{
    public const string HttpClientName = "fcm";
    private const string Scope = "https://www.googleapis.com/auth/firebase.messaging";

    private readonly IHttpClientFactory _httpClients;
    private readonly RetryPolicy _retries;
    private readonly TimeProvider _clock;
    private readonly ILogger<FcmSender> _logger;
    private readonly FcmOptions _options;
    private readonly ServiceAccount _account;
    private readonly RSA _key;
    private readonly SemaphoreSlim _tokenLock = new(1, 1);
    private (string Token, DateTimeOffset Expires)? _accessToken;

    public FcmSender(IHttpClientFactory httpClients, IOptions<PushdOptions> options, RetryPolicy retries, TimeProvider clock, ILogger<FcmSender> logger)
    {
        _httpClients = httpClients;
        _retries = retries;
        _clock = clock;
        _logger = logger;
        _options = options.Value.Fcm;
        _account = ServiceAccount.Parse(_options.ServiceAccountJson);
        _key = RSA.Create();
        _key.ImportFromPem(_account.PrivateKey);
    }

    public PushService Service => PushService.Fcm;

    private string TokenUrl => _options.TokenUrl ?? _account.TokenUri;

    /// <summary>The signed assertion Google's token endpoint exchanges for an access token (RFC 7523).</summary>
    public string Assertion(DateTimeOffset now) => JsonWebToken.SignRs256(_key,
        new Dictionary<string, object> { ["alg"] = "RS256", ["typ"] = "JWT", ["kid"] = _account.PrivateKeyId },
        new Dictionary<string, object>
        {
            ["iss"] = _account.ClientEmail, ["scope"] = Scope, ["aud"] = TokenUrl,
            ["iat"] = now.ToUnixTimeSeconds(), ["exp"] = (now + TimeSpan.FromHours(1)).ToUnixTimeSeconds(),
        });

    public async Task<DeliveryOutcome> SendAsync(PushTarget target, Notification notification, CancellationToken cancellationToken)
    {
        var client = _httpClients.CreateClient(HttpClientName);
        var url = $"{_options.ApiUrl.TrimEnd('/')}/v1/projects/{Uri.EscapeDataString(_account.ProjectId)}/messages:send";
        var message = new JsonObject
        {
            ["message"] = new JsonObject
            {
                ["token"] = target.Auth,
                ["data"] = JsonSerializer.SerializeToNode(notification.FcmData()),
            },
        };
        for (var attempt = 1; ; attempt++)
        {
            System.Net.Http.Headers.RetryConditionHeaderValue? retryAfter = null;
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = JsonContent.Create(message) };
                request.Headers.Authorization = new("Bearer", await AccessTokenAsync(client, cancellationToken));
                using var response = await client.SendAsync(request, cancellationToken);
                if (response.IsSuccessStatusCode) return DeliveryOutcome.Delivered;
                var error = await response.Content.ReadAsStringAsync(cancellationToken);
                if (IsUnregistered(response.StatusCode, error)) return DeliveryOutcome.Gone;
                if (response.StatusCode == HttpStatusCode.Unauthorized) _accessToken = null;
                else if (!RetryPolicy.IsTransient(response.StatusCode))
                {
                    _logger.LogWarning("FCM refused a message with {Status}: {Error}", (int)response.StatusCode, error);
                    return DeliveryOutcome.Failed;
                }
                retryAfter = response.Headers.RetryAfter;
            }
            catch (Exception e) when (e is HttpRequestException or JsonException || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
            {
                _logger.LogInformation("FCM request failed: {Reason}", e.Message);
            }
            if (_retries.DelayAfter(attempt, retryAfter, _clock.GetUtcNow()) is not { } delay) return DeliveryOutcome.Failed;
            await Task.Delay(delay, _clock, cancellationToken);
        }
    }

    /// <summary>FCM v1 reports a token that is no longer valid as <c>UNREGISTERED</c> in the error details (404, sometimes 400).</summary>
    public static bool IsUnregistered(HttpStatusCode status, string errorJson)
    {
        if (status is not (HttpStatusCode.NotFound or HttpStatusCode.BadRequest)) return false;
        try
        {
            return JsonNode.Parse(errorJson)?["error"]?["details"] is JsonArray details
                && details.Any(d => d?["errorCode"]?.GetValue<string>() == "UNREGISTERED");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return false;
        }
    }

    private async Task<string> AccessTokenAsync(HttpClient client, CancellationToken cancellationToken)
    {
        var now = _clock.GetUtcNow();
        if (_accessToken is { } cached && cached.Expires > now) return cached.Token;
        await _tokenLock.WaitAsync(cancellationToken);
        try
        {
            if (_accessToken is { } again && again.Expires > now) return again.Token;
            using var response = await client.PostAsync(TokenUrl, new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "urn:ietf:params:oauth:grant-type:jwt-bearer",
                ["assertion"] = Assertion(now),
            }), cancellationToken);
            if (!response.IsSuccessStatusCode)
                throw new HttpRequestException($"the token endpoint answered {(int)response.StatusCode}", null, response.StatusCode);
            var token = await response.Content.ReadFromJsonAsync<JsonObject>(cancellationToken)
                ?? throw new JsonException("the token endpoint answered no JSON");
            var accessToken = token["access_token"]?.GetValue<string>() ?? throw new JsonException("no access_token");
            var expiresIn = token["expires_in"]?.GetValue<int>() ?? 3600;
            // Renewed a minute early, so a token never expires on its way to FCM.
            _accessToken = (accessToken, now + TimeSpan.FromSeconds(Math.Max(0, expiresIn - 60)));
            return accessToken;
        }
        finally
        {
            _tokenLock.Release();
        }
    }

    public void Dispose()
    {
        _key.Dispose();
        _tokenLock.Dispose();
    }

    private sealed record ServiceAccount(string ProjectId, string ClientEmail, string PrivateKey, string PrivateKeyId, string TokenUri)
    {
        public static ServiceAccount Parse(string json)
        {
            var node = JsonNode.Parse(json) ?? throw new InvalidOperationException("Pushd:Fcm:ServiceAccountJson is not JSON.");
            string Field(string name) => node[name]?.GetValue<string>() is { Length: > 0 } value
                ? value
                : throw new InvalidOperationException($"Pushd:Fcm:ServiceAccountJson lacks {name}.");
            return new(Field("project_id"), Field("client_email"), Field("private_key"), node["private_key_id"]?.GetValue<string>() ?? "",
                node["token_uri"]?.GetValue<string>() ?? "https://oauth2.googleapis.com/token");
        }
    }
}
