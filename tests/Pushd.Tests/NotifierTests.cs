using System.Collections.Concurrent;
using Grpc.Core;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Spokes.Contracts.Commands;
using Spokes.Contracts.IntegrationEvents;
using Spokes.Contracts.Presence;
using Spokes.Contracts.Push.V1;
using Spokes.Contracts.Voice;
using Spokes.Pushd.Delivery;
using Spokes.Pushd.Notifications;
using Spokes.TestSupport;
using StackExchange.Redis;

namespace Spokes.Pushd.Tests;

/// <summary>Who is told of a message: Pushd's rules against an Api stand-in, a recording push service and a real Redis.</summary>
public sealed class NotifierTests(RedisServer redisServer) : IClassFixture<RedisServer>, IAsyncLifetime
{
    private const string Author = "01HZY0000000000000000ALICE";
    private const string Bob = "01HZY00000000000000000BOB0";
    private const string Carol = "01HZY0000000000000000CAROL";
    private const string Dave = "01HZY00000000000000000DAVE";
    private const string Channel = "01HZY000000000000000CHAN01";
    private const string Server = "01HZY00000000000000SERVER1";

    private readonly FakeApi _api = new();
    private readonly RecordingSender _sender = new();
    private readonly RecordingRemover _remover = new();
    private ConnectionMultiplexer _redis = null!;

    public async Task InitializeAsync() => _redis = await ConnectionMultiplexer.ConnectAsync(redisServer.ConnectionString);

    public async Task DisposeAsync() => await _redis.DisposeAsync();

    [Fact]
    public async Task A_DM_reaches_the_other_side_with_mentions_rendered_to_names()
    {
        _api.Subscribe(Bob, "bob-phone");
        _api.UserNames[Carol] = "Carol C";

        await Notifier().NotifyAsync(Sent(ConversationKind.DirectMessage, [Bob], $"hi <@{Carol}>"), CancellationToken.None);

        var (target, notification) = Assert.Single(_sender.Sent);
        Assert.Equal("bob-phone", target.SessionId);
        Assert.Equal("hi @Carol C", notification.Body);
        Assert.Equal($"hi <@{Carol}>", notification.RawBody);
        Assert.Equal("Alice", notification.Title);
    }

    [Fact]
    public async Task A_server_mention_reaches_only_the_mentioned_user()
    {
        _api.Subscribe(Bob, "bob-phone");
        _api.Subscribe(Carol, "carol-phone");

        await Notifier().NotifyAsync(Sent(ConversationKind.Server, [Bob], $"<@{Bob}> look", mentions: [Bob]), CancellationToken.None);

        Assert.Equal(["bob-phone"], _sender.Sent.Select(s => s.Target.SessionId));
    }

    [Fact]
    public async Task A_muted_channel_or_server_sends_nothing_and_mention_only_groups_need_a_mention()
    {
        _api.Subscribe(Bob, "bob-phone", """{"channel":{"01HZY000000000000000CHAN01":"muted"}}""");
        _api.Subscribe(Carol, "carol-phone", """{"server":{"01HZY00000000000000SERVER1":"none"}}""");
        _api.Subscribe(Dave, "dave-phone", """{"channel":{"01HZY000000000000000CHAN01":"mention"}}""");

        await Notifier().NotifyAsync(Sent(ConversationKind.Server, [Bob, Carol], $"<@{Bob}> <@{Carol}>", mentions: [Bob, Carol]), CancellationToken.None);
        await Notifier().NotifyAsync(Sent(ConversationKind.Group, [Bob, Dave], "plain"), CancellationToken.None);
        await Notifier().NotifyAsync(Sent(ConversationKind.Group, [Dave], $"<@{Dave}>", mentions: [Dave]), CancellationToken.None);

        Assert.Equal(["dave-phone"], _sender.Sent.Select(s => s.Target.SessionId));
    }

    [Fact]
    public async Task Suppressed_notifications_and_saved_messages_send_nothing()
    {
        _api.Subscribe(Bob, "bob-phone");

        await Notifier().NotifyAsync(Sent(ConversationKind.DirectMessage, [Bob], "quiet") with { SuppressNotifications = true }, CancellationToken.None);
        await Notifier().NotifyAsync(Sent(ConversationKind.SavedMessages, [Bob], "note"), CancellationToken.None);

        Assert.Empty(_sender.Sent);
    }

    [Fact]
    public async Task A_redelivered_event_sends_nothing_twice_and_what_a_cancelled_consume_left_unsent()
    {
        _api.Subscribe(Bob, "bob-phone");
        _api.Subscribe(Carol, "carol-phone");
        _api.Subscribe(Dave, "dave-phone");
        var sent = Sent(ConversationKind.Group, [Bob, Carol, Dave], "once");
        _sender.HoldFor = "carol-phone";
        using var consume = new CancellationTokenSource();

        // The broker goes away while Carol's push service holds her push but has not answered yet.
        var first = Notifier(concurrency: 1).NotifyAsync(sent, consume.Token);
        await _sender.Holding.Task.WaitAsync(TimeSpan.FromSeconds(10));
        consume.Cancel();
        _sender.Answer.SetResult();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
        Assert.Equal(["bob-phone", "carol-phone"], _sender.Sent.Select(s => s.Target.SessionId).Order());

        await Notifier().NotifyAsync(sent, CancellationToken.None);
        await Notifier().NotifyAsync(sent, CancellationToken.None);

        Assert.Equal(["bob-phone", "carol-phone", "dave-phone"], _sender.Sent.Select(s => s.Target.SessionId).Order());
    }

    [Fact]
    public async Task A_mass_mention_reaches_offline_members_in_chunks_once_each_and_never_the_author()
    {
        var members = Enumerable.Range(0, 45).Select(i => $"01HZY0000000000000MEMBER{i:D2}").Append(Author).Order(StringComparer.Ordinal).ToList();
        foreach (var member in members) _api.Subscribe(member, "phone-" + member);
        _api.Members = members;
        var online = members[3];
        await _redis.GetDatabase().SetAddAsync(PresenceKeys.User(online), "node/socket");

        await Notifier(chunkSize: 10).NotifyAsync(Sent(ConversationKind.Server, [members[0]], "@everyone", mentions: [members[0]]) with { MentionsEveryone = true },
            CancellationToken.None);

        var reached = _sender.Sent.Select(s => s.Target.UserId).ToList();
        Assert.Equal(reached.Distinct().Count(), reached.Count);
        Assert.Equal(members.Where(m => m != Author && m != online).Order(), reached.Order());
        Assert.True(_api.MassMentionPages >= 5);
    }

    [Fact]
    public async Task A_gone_subscription_is_reported_for_removal_and_does_not_stop_the_others()
    {
        _api.Subscribe(Bob, "bob-phone");
        _api.Subscribe(Carol, "carol-phone");
        _api.Subscribe(Dave, "dave-phone");
        _sender.GoneFor = "bob-phone";
        _sender.ThrowFor = "carol-phone";

        await Notifier().NotifyAsync(Sent(ConversationKind.Group, [Bob, Carol, Dave], "hi"), CancellationToken.None);

        Assert.Contains(_sender.Sent, s => s.Target.SessionId == "dave-phone");
        var removal = Assert.Single(_remover.Removed);
        Assert.Equal(new RemovePushSubscription(Bob, "bob-phone", "https://push.example/bob-phone", "auth-bob-phone"), removal);
    }

    [Fact]
    public async Task A_call_rings_its_recipients_devices_once_never_the_callers_and_its_end_reaches_them_as_ended()
    {
        _api.Subscribe(Bob, "bob-phone");
        _api.Subscribe(Carol, "carol-phone");
        _api.Subscribe(Author, "alice-phone");
        _api.UserNames[Author] = "Alice";
        var started = DateTimeOffset.UtcNow;
        var ring = new CallRing(Guid.NewGuid(), Channel, Author, "Trio", [Bob, Carol, Author], started, started.AddSeconds(30));

        await Ringer().RingAsync(ring, CancellationToken.None);
        await Ringer().RingAsync(ring, CancellationToken.None);

        Assert.Equal(["bob-phone", "carol-phone"], _sender.Sent.Select(s => s.Target.SessionId).Order());
        var rung = _sender.Sent.First().Notification;
        Assert.Equal((NotificationKind.Call, "Alice is calling your group, Trio", Channel), (rung.Kind, rung.Body, rung.Tag));
        var data = rung.FcmData();
        Assert.Equal(("push.dm.call", Author, Channel, "false", "30"), (data["type"], data["initiator_id"], data["channel_id"], data["ended"], data["duration"]));
        Assert.Equal("Alice is calling you", (await Renderer().RenderAsync(ring with { GroupName = null }, CancellationToken.None)).Body);

        _sender.Sent.Clear();
        await Ringer().StopAsync(new CallRingEnded(Guid.NewGuid(), Channel, Author, [Bob]), CancellationToken.None);
        Assert.Equal(["bob-phone"], _sender.Sent.Select(s => s.Target.SessionId).Order());
        Assert.All(_sender.Sent, s => Assert.Equal("true", s.Notification.FcmData()["ended"]));
        var apns = ApnsSender.Payload(_sender.Sent.First().Notification);
        Assert.Equal((Channel, true), (apns["channel_id"]!.GetValue<string>(), apns["ended"]!.GetValue<bool>()));
    }

    [Fact]
    public async Task A_ring_that_arrives_after_it_ran_out_is_not_sent()
    {
        _api.Subscribe(Bob, "bob-phone");
        var started = DateTimeOffset.UtcNow.AddMinutes(-5);
        await Ringer().RingAsync(new CallRing(Guid.NewGuid(), Channel, Author, null, [Bob], started, started.AddSeconds(30)), CancellationToken.None);
        Assert.Empty(_sender.Sent);
    }

    private MessageSent Sent(ConversationKind kind, IReadOnlyList<string> recipients, string content, IReadOnlyList<string>? mentions = null) => new()
    {
        Id = Guid.NewGuid(),
        MessageId = "01HZY00000000000000MESSAGE",
        ChannelId = Channel,
        ServerId = kind == ConversationKind.Server ? Server : null,
        Kind = kind,
        AuthorId = Author,
        AuthorName = "Alice",
        Content = content,
        Recipients = recipients,
        Mentions = mentions ?? [],
    };

    private CallRinger Ringer()
    {
        var options = Options.Create(new PushdOptions { PublicUrl = "https://chat.example" });
        var dispatcher = new PushDispatcher(_api, [_sender], new RedisDeliveryLedger(_redis, options), _remover, new PushMetrics(new TestMeterFactory()), options,
            NullLogger<PushDispatcher>.Instance);
        return new CallRinger(Renderer(), dispatcher, TimeProvider.System);
    }

    private NotificationRenderer Renderer() =>
        new(_api, new MemoryCache(new MemoryCacheOptions()), Options.Create(new PushdOptions { PublicUrl = "https://chat.example" }), TimeProvider.System);

    private MessageNotifier Notifier(int concurrency = 8, int chunkSize = 200)
    {
        var options = Options.Create(new PushdOptions { PublicUrl = "https://chat.example", Concurrency = concurrency, ChunkSize = chunkSize });
        var metrics = new PushMetrics(new TestMeterFactory());
        var ledger = new RedisDeliveryLedger(_redis, options);
        var dispatcher = new PushDispatcher(_api, [_sender], ledger, _remover, metrics, options, NullLogger<PushDispatcher>.Instance);
        var renderer = new NotificationRenderer(_api, new MemoryCache(new MemoryCacheOptions()), options, TimeProvider.System);
        return new MessageNotifier(renderer, dispatcher, ledger, _api, _redis, options);
    }

    private sealed class TestMeterFactory : System.Diagnostics.Metrics.IMeterFactory
    {
        public System.Diagnostics.Metrics.Meter Create(System.Diagnostics.Metrics.MeterOptions options) => new(options);

        public void Dispose() { }
    }

    private sealed class RecordingSender : IPushSender
    {
        public ConcurrentQueue<(PushTarget Target, Notification Notification)> Sent { get; } = new();

        /// <summary>The session whose push service takes the push, then waits for <see cref="Answer"/> to answer.</summary>
        public string? HoldFor { get; set; }

        public TaskCompletionSource Holding { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Answer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string? GoneFor { get; set; }

        public string? ThrowFor { get; set; }

        public PushService Service => PushService.WebPush;

        public async Task<DeliveryOutcome> SendAsync(PushTarget target, Notification notification, CancellationToken cancellationToken)
        {
            if (target.SessionId == ThrowFor) throw new HttpRequestException("connection reset");
            Sent.Enqueue((target, notification));
            if (target.SessionId == HoldFor)
            {
                Holding.SetResult();
                await Answer.Task;
                // As an HTTP client would: a send whose token was cancelled meanwhile ends without its answer.
                cancellationToken.ThrowIfCancellationRequested();
            }
            return target.SessionId == GoneFor ? DeliveryOutcome.Gone : DeliveryOutcome.Delivered;
        }
    }

    private sealed class RecordingRemover : ISubscriptionRemover
    {
        public ConcurrentQueue<RemovePushSubscription> Removed { get; } = new();

        public Task RemoveAsync(RemovePushSubscription command, CancellationToken cancellationToken)
        {
            Removed.Enqueue(command);
            return Task.CompletedTask;
        }
    }

    /// <summary>The Api's answers, from what the test set up.</summary>
    private sealed class FakeApi : PushTargets.PushTargetsClient
    {
        private readonly Dictionary<string, Recipient> _recipients = [];

        public Dictionary<string, string> UserNames { get; } = [];

        public List<string> Members { get; set; } = [];

        public int MassMentionPages { get; private set; }

        public void Subscribe(string userId, string sessionId, string settings = "")
        {
            var recipient = new Recipient { UserId = userId, NotificationSettingsJson = settings };
            recipient.Subscriptions.Add(new PushSubscription { SessionId = sessionId, Endpoint = "https://push.example/" + sessionId, P256Dh = "key", Auth = "auth-" + sessionId });
            _recipients[userId] = recipient;
        }

        public override AsyncUnaryCall<RecipientsReply> RecipientsAsync(RecipientsRequest request, CallOptions options)
        {
            var reply = new RecipientsReply();
            reply.Recipients.AddRange(request.UserIds.Where(_recipients.ContainsKey).Select(u => _recipients[u]));
            return Reply(reply);
        }

        public override AsyncUnaryCall<MassMentionedReply> MassMentionedAsync(MassMentionedRequest request, CallOptions options)
        {
            MassMentionPages++;
            var rest = Members.Where(m => string.CompareOrdinal(m, request.After) > 0).ToList();
            var reply = new MassMentionedReply { NextAfter = rest.Count > request.Limit ? rest[request.Limit - 1] : "" };
            reply.UserIds.AddRange(rest.Take(request.Limit));
            return Reply(reply);
        }

        public override AsyncUnaryCall<NamesReply> NamesAsync(NamesRequest request, CallOptions options)
        {
            var reply = new NamesReply();
            foreach (var id in request.UserIds.Where(UserNames.ContainsKey)) reply.Users[id] = UserNames[id];
            return Reply(reply);
        }

        private static AsyncUnaryCall<T> Reply<T>(T reply) =>
            new(Task.FromResult(reply), Task.FromResult(new Metadata()), () => Status.DefaultSuccess, () => [], () => { });
    }
}
