using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Spokes.Contracts.Push.V1;
using Spokes.Egress;
using Spokes.Pushd;
using Spokes.Pushd.Delivery;
using Spokes.Pushd.Notifications;
using Spokes.TestSupport;
using StackExchange.Redis;

namespace Spokes.Benchmarks;

/// <summary>
/// Pushd's delivery of one group message to 1 000 subscribed recipients — per recipient a Redis claim, RFC 8291
/// encryption, a VAPID header and a POST through the egress client — to a local Web Push endpoint, against the
/// ceiling: bare POSTs of the same size from this process to the same endpoint, as many at once.
/// </summary>
public static class PushBenchmark
{
    private const int RecipientCount = 1_000;
    private const int Rounds = 5;

    public static async Task RunAsync()
    {
        await using var redisServer = new RedisServer();
        await redisServer.InitializeAsync();
        await using var redis = await ConnectionMultiplexer.ConnectAsync(redisServer.ConnectionString);
        await using var sink = await StartSinkAsync();
        var sinkUrl = sink.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var sinkAuthority = new Uri(sinkUrl).Authority;

        var options = new PushdOptions { PublicUrl = "https://chat.example" };
        var services = new ServiceCollection()
            .AddLogging()
            .AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Egress:Allow"] = sinkAuthority }).Build());
        services.AddEgressHttpClient(WebPushSender.HttpClientName, client => client.FollowRedirects = false);
        services.AddMetrics();
        await using var provider = services.BuildServiceProvider();

        using var vapidKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var vapid = new VapidSigner(Base64Url.Encode(WebPushEncryption.PublicPoint(vapidKey)), Base64Url.Encode(vapidKey.ExportParameters(true).D!),
            "mailto:bench@spokes.test", TimeProvider.System);
        var sender = new WebPushSender(provider.GetRequiredService<IHttpClientFactory>(), vapid, new RetryPolicy(), TimeProvider.System, NullLogger<WebPushSender>.Instance);
        var targets = new Targets(sinkUrl);
        var wrapped = Options.Create(options);
        var dispatcher = new PushDispatcher(targets, [sender], new RedisDeliveryLedger(redis, wrapped), new NoRemovals(),
            new PushMetrics(provider.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()), wrapped, NullLogger<PushDispatcher>.Instance);
        var notification = new Notification
        {
            Kind = NotificationKind.Message, Title = "Alice", Body = "Dinner at eight? Bring the board games, I'll bring the snacks.",
            Icon = "https://chat.example/api/users/A/default_avatar", Tag = "01HZY000000000000000CHAN01", Url = "https://chat.example/channel/C/M",
            MessageId = "01HZY00000000000000MESSAGE", ChannelId = "01HZY000000000000000CHAN01", UserId = "01HZY0000000000000000ALICE", Timestamp = 1,
        };
        var bodySize = WebPushEncryption.Encrypt(notification.WebPushPayload(WebPushEncryption.MaxPlaintextLength), targets.AnyKey, targets.AnyAuth).Length;

        // Warm-up: connections, JIT, the VAPID token.
        await dispatcher.DeliverAsync(Guid.NewGuid(), notification, targets.UserIds, null, CancellationToken.None);
        await BarePostsAsync(sinkUrl, bodySize, options.Concurrency);

        var pushRates = new List<double>();
        var bareRates = new List<double>();
        for (var round = 0; round < Rounds; round++)
        {
            var before = SinkCounter.Received;
            var clock = Stopwatch.StartNew();
            await dispatcher.DeliverAsync(Guid.NewGuid(), notification, targets.UserIds, null, CancellationToken.None);
            pushRates.Add(RecipientCount / clock.Elapsed.TotalSeconds);
            if (SinkCounter.Received - before != RecipientCount) throw new InvalidOperationException($"{SinkCounter.Received - before} of {RecipientCount} pushes arrived.");
            bareRates.Add(await BarePostsAsync(sinkUrl, bodySize, options.Concurrency));
        }

        // What the cryptography alone allows: a fresh sender key, ECDH, HKDF and AES-GCM per push, as many at once.
        var plaintext = notification.WebPushPayload(WebPushEncryption.MaxPlaintextLength);
        var encryptClock = Stopwatch.StartNew();
        Parallel.For(0, RecipientCount, new ParallelOptions { MaxDegreeOfParallelism = options.Concurrency },
            _ => WebPushEncryption.Encrypt(plaintext, targets.AnyKey, targets.AnyAuth));
        var encryptions = RecipientCount / encryptClock.Elapsed.TotalSeconds;

        var push = Median(pushRates);
        var bare = Median(bareRates);
        Console.WriteLine($"Pushd, one group message to {RecipientCount} Web Push subscriptions ({bodySize}-byte bodies, {options.Concurrency} at once), median of {Rounds}:");
        Console.WriteLine($"  Pushd (claim + encrypt + VAPID + POST): {push,9:F0} pushes/s");
        Console.WriteLine($"  bare HTTP POSTs of the same size:       {bare,9:F0} posts/s");
        Console.WriteLine($"  ratio:                                  {push / bare,9:P0}");
        Console.WriteLine($"  RFC 8291 encryption alone:              {encryptions,9:F0} /s");
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

    private static async Task<double> BarePostsAsync(string sinkUrl, int bodySize, int concurrency)
    {
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        var body = RandomNumberGenerator.GetBytes(bodySize);
        var clock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, RecipientCount), new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (i, token) =>
        {
            using var content = new ByteArrayContent(body);
            using var response = await client.PostAsync($"{sinkUrl}/push/bare-{i}", content, token);
            response.EnsureSuccessStatusCode();
        });
        return RecipientCount / clock.Elapsed.TotalSeconds;
    }

    private static async Task<WebApplication> StartSinkAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        app.MapPost("/push/{id}", async (HttpContext context) =>
        {
            await context.Request.Body.CopyToAsync(Stream.Null);
            Interlocked.Increment(ref SinkCounter.Received);
            return Results.StatusCode(201);
        });
        await app.StartAsync();
        return app;
    }

    private static class SinkCounter
    {
        public static long Received;
    }

    private sealed class NoRemovals : ISubscriptionRemover
    {
        public Task RemoveAsync(Contracts.Commands.RemovePushSubscription command, CancellationToken cancellationToken) => Task.CompletedTask;
    }

    /// <summary>The Api's answer for 1 000 group members, each with a browser's subscription to the sink.</summary>
    private sealed class Targets : PushTargets.PushTargetsClient
    {
        private readonly Dictionary<string, Recipient> _recipients = [];

        public Targets(string sinkUrl)
        {
            for (var i = 0; i < RecipientCount; i++)
            {
                using var browser = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
                var recipient = new Recipient { UserId = $"user-{i:D4}" };
                recipient.Subscriptions.Add(new PushSubscription
                {
                    SessionId = $"session-{i:D4}", Endpoint = $"{sinkUrl}/push/{i}",
                    P256Dh = Base64Url.Encode(WebPushEncryption.PublicPoint(browser)), Auth = Base64Url.Encode(RandomNumberGenerator.GetBytes(16)),
                });
                _recipients[recipient.UserId] = recipient;
            }
            UserIds = [.. _recipients.Keys];
        }

        public IReadOnlyList<string> UserIds { get; }

        public string AnyKey => _recipients.Values.First().Subscriptions[0].P256Dh;

        public string AnyAuth => _recipients.Values.First().Subscriptions[0].Auth;

        public override AsyncUnaryCall<RecipientsReply> RecipientsAsync(RecipientsRequest request, CallOptions options)
        {
            var reply = new RecipientsReply();
            reply.Recipients.AddRange(request.UserIds.Select(u => _recipients[u]));
            return new(Task.FromResult(reply), Task.FromResult(new Metadata()), () => Status.DefaultSuccess, () => [], () => { });
        }
    }
}
