using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Spokes.Pushd.Delivery;
using Spokes.Pushd.Notifications;

namespace Spokes.Pushd.Tests;

public sealed class SenderTests
{
    private static readonly Notification Message = new()
    {
        Kind = NotificationKind.Message, Title = "Alice", Body = "hello @Bob", RawBody = "hello <@01HZY0000000000000000USER1>",
        Icon = "http://localhost/api/users/A/default_avatar", Tag = "01HZY000000000000000CHAN01", Url = "http://localhost/channel/C/M",
        MessageId = "01HZY00000000000000MESSAGE", ChannelId = "01HZY000000000000000CHAN01", UserId = "01HZY0000000000000000ALICE", Timestamp = 1,
    };

    private static readonly RetryPolicy QuickRetries = new(maxAttempts: 3, firstDelay: TimeSpan.FromMilliseconds(50));

    [Fact]
    public async Task Web_push_reaches_a_third_party_browser_side_which_decrypts_it_and_verifies_the_VAPID_token()
    {
        var (publicKey, privateKey) = await PushReceiver.VapidKeysAsync();
        await using var receiver = await PushReceiver.StartAsync(publicKey);
        var sender = WebPush(publicKey, privateKey);

        var outcome = await sender.SendAsync(Target(receiver), Message, CancellationToken.None);

        Assert.Equal(DeliveryOutcome.Delivered, outcome);
        var received = await receiver.NextAsync();
        Assert.True(received.GetProperty("ok").GetBoolean(), received.ToString());
        var payload = received.GetProperty("payload");
        Assert.Equal("hello @Bob", payload.GetProperty("body").GetString());
        Assert.Equal("Alice", payload.GetProperty("author").GetString());
        Assert.Equal("hello <@01HZY0000000000000000USER1>", payload.GetProperty("raw_body").GetString());
        Assert.Equal(Message.ChannelId, payload.GetProperty("tag").GetString());
    }

    [Fact]
    public async Task Web_push_waits_out_a_rate_limit_and_delivers_once()
    {
        var (publicKey, privateKey) = await PushReceiver.VapidKeysAsync();
        await using var receiver = await PushReceiver.StartAsync(publicKey, 429, 503);

        var outcome = await WebPush(publicKey, privateKey).SendAsync(Target(receiver), Message, CancellationToken.None);

        Assert.Equal(DeliveryOutcome.Delivered, outcome);
        Assert.Equal(429, (await receiver.NextAsync()).GetProperty("status").GetInt32());
        Assert.Equal(503, (await receiver.NextAsync()).GetProperty("status").GetInt32());
        Assert.Equal(201, (await receiver.NextAsync()).GetProperty("status").GetInt32());
        Assert.Equal(0, receiver.Pending);
    }

    [Theory]
    [InlineData(404, DeliveryOutcome.Gone)]
    [InlineData(410, DeliveryOutcome.Gone)]
    [InlineData(400, DeliveryOutcome.Failed)]
    [InlineData(413, DeliveryOutcome.Failed)]
    public async Task Web_push_answers_decide_the_outcome(int status, DeliveryOutcome expected)
    {
        var (publicKey, privateKey) = await PushReceiver.VapidKeysAsync();
        await using var receiver = await PushReceiver.StartAsync(publicKey, status);

        Assert.Equal(expected, await WebPush(publicKey, privateKey).SendAsync(Target(receiver), Message, CancellationToken.None));
        Assert.True((await receiver.NextAsync()).GetProperty("ok").GetBoolean());
        Assert.Equal(0, receiver.Pending);
    }

    [Fact]
    public async Task Web_push_gives_up_on_an_endpoint_that_keeps_failing()
    {
        await using var standIn = await StandIn.StartAsync((_, context) => { context.Response.StatusCode = 500; return Task.CompletedTask; });
        var (publicKey, privateKey) = await PushReceiver.VapidKeysAsync();
        using var browser = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);

        var outcome = await WebPush(publicKey, privateKey).SendAsync(new PushTarget("u", "s", standIn.Url + "/push",
            Base64Url.Encode(WebPushEncryption.PublicPoint(browser)), Base64Url.Encode(new byte[16])), Message, CancellationToken.None);

        Assert.Equal(DeliveryOutcome.Failed, outcome);
        Assert.Equal(QuickRetries.MaxAttempts, standIn.Requests.Count);
    }

    [Fact]
    public async Task Fcm_exchanges_a_signed_service_account_assertion_for_a_token_and_sends_one_message_per_device()
    {
        using var serviceKey = RSA.Create(2048);
        var tokenRequests = 0;
        await using var google = await StandIn.StartAsync(async (request, context) =>
        {
            if (request.Path == "/token")
            {
                Interlocked.Increment(ref tokenRequests);
                var form = System.Web.HttpUtility.ParseQueryString(System.Text.Encoding.UTF8.GetString(request.Body));
                Assert.Equal("urn:ietf:params:oauth:grant-type:jwt-bearer", form["grant_type"]);
                var parts = form["assertion"]!.Split('.');
                Assert.True(serviceKey.VerifyData(System.Text.Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), Base64Url.Decode(parts[2]),
                    HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
                var claims = JsonDocument.Parse(Base64Url.Decode(parts[1])).RootElement;
                Assert.Equal("pushd@spokes-test.iam.gserviceaccount.com", claims.GetProperty("iss").GetString());
                Assert.Equal("https://www.googleapis.com/auth/firebase.messaging", claims.GetProperty("scope").GetString());
                Assert.EndsWith("/token", claims.GetProperty("aud").GetString());
                Assert.Equal("key-1", JsonDocument.Parse(Base64Url.Decode(parts[0])).RootElement.GetProperty("kid").GetString());
                await context.Response.WriteAsJsonAsync(new { access_token = "access-1", expires_in = 3600, token_type = "Bearer" });
                return;
            }
            Assert.Equal("/v1/projects/spokes-test/messages:send", request.Path);
            Assert.Equal("Bearer access-1", request.Headers.Authorization.ToString());
            var message = JsonDocument.Parse(request.Body).RootElement.GetProperty("message");
            if (message.GetProperty("token").GetString() == "dead-device")
            {
                context.Response.StatusCode = 404;
                await context.Response.WriteAsync("""{"error":{"code":404,"status":"NOT_FOUND","details":[{"@type":"type.googleapis.com/google.firebase.fcm.v1.FcmError","errorCode":"UNREGISTERED"}]}}""");
                return;
            }
            Assert.Equal("push.message", message.GetProperty("data").GetProperty("type").GetString());
            Assert.Equal("hello @Bob", message.GetProperty("data").GetProperty("body").GetString());
            await context.Response.WriteAsJsonAsync(new { name = "projects/spokes-test/messages/1" });
        });
        var account = JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["type"] = "service_account", ["project_id"] = "spokes-test", ["private_key_id"] = "key-1",
            ["private_key"] = serviceKey.ExportPkcs8PrivateKeyPem(), ["client_email"] = "pushd@spokes-test.iam.gserviceaccount.com",
            ["token_uri"] = "https://oauth2.googleapis.com/token",
        });
        using var fcm = new FcmSender(new PlainHttpClients(), Options(o => o.Fcm = new FcmOptions
        {
            ServiceAccountJson = account, TokenUrl = google.Url + "/token", ApiUrl = google.Url,
        }), QuickRetries, TimeProvider.System, NullLogger<FcmSender>.Instance);

        Assert.Equal(DeliveryOutcome.Delivered, await fcm.SendAsync(new PushTarget("u", "s1", "fcm", "", "device-1"), Message, CancellationToken.None));
        Assert.Equal(DeliveryOutcome.Delivered, await fcm.SendAsync(new PushTarget("u", "s2", "fcm", "", "device-2"), Message, CancellationToken.None));
        Assert.Equal(DeliveryOutcome.Gone, await fcm.SendAsync(new PushTarget("u", "s3", "fcm", "", "dead-device"), Message, CancellationToken.None));
        Assert.Equal(1, tokenRequests);
    }

    [Fact]
    public async Task Apns_sends_over_http2_with_an_ES256_provider_token_and_410_removes_the_device()
    {
        using var appleKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await using var apple = await StandIn.StartAsync(async (request, context) =>
        {
            Assert.Equal("HTTP/2", request.Protocol);
            Assert.StartsWith("bearer ", request.Headers.Authorization.ToString());
            var (header, claims) = CryptoTests.Verify(request.Headers.Authorization.ToString()["bearer ".Length..], appleKey);
            Assert.Equal("KEYID12345", header.GetProperty("kid").GetString());
            Assert.Equal("TEAMID6789", claims.GetProperty("iss").GetString());
            Assert.Equal("chat.spokes.test", request.Headers["apns-topic"].ToString());
            Assert.Equal("alert", request.Headers["apns-push-type"].ToString());
            var alert = JsonDocument.Parse(request.Body).RootElement.GetProperty("aps").GetProperty("alert");
            Assert.Equal("Alice", alert.GetProperty("title").GetString());
            Assert.Equal("hello @Bob", alert.GetProperty("body").GetString());
            if (request.Path == "/3/device/dead-device")
            {
                context.Response.StatusCode = 410;
                await context.Response.WriteAsync("""{"reason":"Unregistered","timestamp":1}""");
            }
        }, http2Only: true);
        using var apns = new ApnsSender(new PlainHttpClients(), Options(o => o.Apns = new ApnsOptions
        {
            PrivateKey = appleKey.ExportPkcs8PrivateKeyPem(), KeyId = "KEYID12345", TeamId = "TEAMID6789", Topic = "chat.spokes.test", Url = apple.Url,
        }), QuickRetries, TimeProvider.System, NullLogger<ApnsSender>.Instance);

        Assert.Equal(DeliveryOutcome.Delivered, await apns.SendAsync(new PushTarget("u", "s1", "apn", "", "device-1"), Message, CancellationToken.None));
        Assert.Equal(DeliveryOutcome.Gone, await apns.SendAsync(new PushTarget("u", "s2", "apn", "", "dead-device"), Message, CancellationToken.None));
        Assert.Equal(["/3/device/device-1", "/3/device/dead-device"], apple.Requests.Select(r => r.Path));
    }

    [Fact]
    public void Apns_takes_Stoats_base64_pkcs8_key_and_picks_the_sandbox_host()
    {
        using var appleKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var options = new ApnsOptions { PrivateKey = Convert.ToBase64String(appleKey.ExportPkcs8PrivateKey()), KeyId = "K", TeamId = "T", Sandbox = true };
        using var apns = new ApnsSender(new PlainHttpClients(), Options(o => o.Apns = options), QuickRetries, TimeProvider.System, NullLogger<ApnsSender>.Instance);

        CryptoTests.Verify(apns.ProviderToken(), appleKey);
        Assert.Equal("https://api.sandbox.push.apple.com", options.BaseUrl);
        Assert.Equal("https://api.push.apple.com", new ApnsOptions().BaseUrl);
    }

    private static PushTarget Target(PushReceiver receiver) => new("user", "session", receiver.Endpoint, receiver.P256dh, receiver.Auth);

    private static WebPushSender WebPush(string publicKey, string privateKey) =>
        new(new PlainHttpClients(), new VapidSigner(publicKey, privateKey, "mailto:ops@spokes.test", TimeProvider.System), QuickRetries, TimeProvider.System,
            NullLogger<WebPushSender>.Instance);

    private static IOptions<PushdOptions> Options(Action<PushdOptions> configure)
    {
        var options = new PushdOptions();
        configure(options);
        return Microsoft.Extensions.Options.Options.Create(options);
    }
}
