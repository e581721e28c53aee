using System.Net;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Spokes.Api.Caching;
using Spokes.Contracts.Presence;
using Spokes.TestSupport;
using StackExchange.Redis;

namespace Spokes.Api.Tests.Caching;

/// <summary>Api replicas on one database, one Redis and one RabbitMQ, with the Redis at hand to stop and to change presence in.</summary>
public sealed class PresenceReplicas : IAsyncLifetime
{
    private readonly RabbitMqServer _rabbitmq = new();
    private readonly TemporaryFolder _data = new("spokes-presence");

    public RedisServer Redis { get; } = new();

    public WebApplicationFactory<Program> A { get; private set; } = null!;

    public WebApplicationFactory<Program> B { get; private set; } = null!;

    public ConnectionMultiplexer Connection { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Task.WhenAll(Redis.InitializeAsync(), _rabbitmq.InitializeAsync());
        Connection = await ConnectionMultiplexer.ConnectAsync(Redis.ConnectionString + ",abortConnect=false,allowAdmin=true");
        A = ApiFixture.Create(Redis.ConnectionString, _rabbitmq.ConnectionString, _data.Path);
        B = ApiFixture.Create(Redis.ConnectionString, _rabbitmq.ConnectionString, _data.Path);
        // One after the other: the first brings the schema up to date.
        foreach (var replica in new[] { A, B })
        {
            replica.CreateClient().Dispose();
            await PresenceCacheTests.UntilAsync(() => Cache(replica).IsTrusted);
        }
    }

    public static RecordCache Cache(WebApplicationFactory<Program> replica) => replica.Services.GetRequiredService<RecordCache>();

    public async Task DisposeAsync()
    {
        await A.DisposeAsync();
        await B.DisposeAsync();
        await Connection.DisposeAsync();
        await Task.WhenAll(Redis.DisposeAsync(), _rabbitmq.DisposeAsync());
        _data.Dispose();
    }
}

/// <summary>
/// <c>online</c> answered from each replica's cache, which the Events service's presence scripts keep current: a
/// user's socket opening or closing (the same script Events runs) is read by every replica once it hears it, and a
/// replica that may have missed such a change reads Redis again until it is sure it hears them.
/// </summary>
public sealed class PresenceCacheTests(PresenceReplicas replicas) : IClassFixture<PresenceReplicas>
{
    private const string Node = "events-node";

    internal static Task UntilAsync(Func<bool> condition) => Poll.UntilAsync(condition, TimeSpan.FromSeconds(15));

    private Task ConnectAsync(OnboardedUser user) => PresenceSockets.AddAsync(replicas.Connection.GetDatabase(), user.Id, Node, Node + "/1");

    private Task DisconnectAsync(OnboardedUser user) => PresenceSockets.RemoveAsync(replicas.Connection.GetDatabase(), user.Id, Node, Node + "/1");

    private static async Task<bool> OnlineAsync(StoatSession viewer, string path)
    {
        var reply = await viewer.GetAsync(path, path == "/users/@me" ? "/users/@me" : "/users/{target}");
        Assert.Equal(HttpStatusCode.OK, reply.Status);
        return reply.Body.GetProperty("online").GetBoolean();
    }

    private static bool Holds(WebApplicationFactory<Program> replica, OnboardedUser user) =>
        PresenceReplicas.Cache(replica).TryGet<object>(CacheKeys.Presence(user.Id), out _);

    /// <summary>Presence reads (<c>EXISTS</c> of a presence key) Redis has run so far.</summary>
    private async Task<long> PresenceReadsAsync()
    {
        var stats = (string)(await replicas.Connection.GetDatabase().ExecuteAsync("INFO", "commandstats"))!;
        var line = stats.Split('\n').FirstOrDefault(l => l.StartsWith("cmdstat_exists:", StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line.Split("calls=")[1].Split(',')[0]);
    }

    /// <summary>A user looking at themselves and at the user the viewer is, through each replica.</summary>
    private async Task<(bool SelfOnA, bool SelfOnB, bool ViewedOnA, bool ViewedOnB)> ReadEverywhereAsync(OnboardedUser user, OnboardedUser viewer)
    {
        var userOnB = new StoatSession(replicas.B.CreateClient()) { Token = user.Client.Token };
        var viewerOnB = new StoatSession(replicas.B.CreateClient()) { Token = viewer.Client.Token };
        return (await OnlineAsync(user.Client, "/users/@me"), await OnlineAsync(userOnB, "/users/@me"),
            await OnlineAsync(viewer.Client, $"/users/{user.Id}"), await OnlineAsync(viewerOnB, $"/users/{user.Id}"));
    }

    /// <summary>
    /// Reads until every replica answers <paramref name="expected"/>, then until both hold that answer. A change reaches
    /// the replicas over Redis pub/sub, as Events' <c>UserUpdate</c> reaches sockets, so a read made at once may race it;
    /// a replica that has not heard its heartbeat for 1 s reads Redis instead, so it must answer well within the 10 s a
    /// held answer lives, which would hide a change never heard. A replica that heard its heartbeat late (a busy machine)
    /// rightly holds nothing until it hears the next.
    /// </summary>
    private async Task ReadAfterChangeAsync(OnboardedUser user, OnboardedUser viewer, (bool, bool, bool, bool) expected)
    {
        var heard = System.Diagnostics.Stopwatch.StartNew();
        var read = await ReadEverywhereAsync(user, viewer);
        while (read != expected && heard.Elapsed < TimeSpan.FromSeconds(5))
        {
            await Task.Delay(20);
            read = await ReadEverywhereAsync(user, viewer);
        }
        Assert.Equal(expected, read);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!(Holds(replicas.A, user) && Holds(replicas.B, user)) && DateTime.UtcNow < deadline)
            Assert.Equal(expected, await ReadEverywhereAsync(user, viewer));
        Assert.True(Holds(replicas.A, user) && Holds(replicas.B, user), "Both replicas should hold the presence they read.");
    }

    private static async Task FriendsAsync(OnboardedUser one, OnboardedUser other)
    {
        await one.Client.PostAsync("/users/friend", "/users/friend", new { username = other.Tag });
        Assert.Equal(HttpStatusCode.OK, (await other.Client.PutAsync($"/users/{one.Id}/friend", "/users/{target}/friend")).Status);
    }

    [Fact]
    public async Task A_held_presence_is_answered_without_a_round_trip_to_redis()
    {
        var alice = await OnboardedUser.CreateAsync(replicas.A, "alice");
        await ConnectAsync(alice);
        Assert.True(await OnlineAsync(alice.Client, "/users/@me"));

        var before = await PresenceReadsAsync();
        for (var i = 0; i < 5; i++) Assert.True(await OnlineAsync(alice.Client, "/users/@me"));
        Assert.Equal(before, await PresenceReadsAsync());
    }

    [Fact]
    public async Task A_user_coming_online_and_going_offline_is_read_by_every_replica_once_the_change_is_heard()
    {
        var alice = await OnboardedUser.CreateAsync(replicas.A, "alice");
        var bob = await OnboardedUser.CreateAsync(replicas.A, "bob");
        await FriendsAsync(alice, bob);
        await ReadAfterChangeAsync(alice, bob, (false, false, false, false));

        await ConnectAsync(alice);
        await ReadAfterChangeAsync(alice, bob, (true, true, true, true));

        // A second socket changes nothing; the last one closing does.
        await PresenceSockets.AddAsync(replicas.Connection.GetDatabase(), alice.Id, Node, Node + "/2");
        await DisconnectAsync(alice);
        Assert.Equal((true, true, true, true), await ReadEverywhereAsync(alice, bob));
        await PresenceSockets.RemoveAsync(replicas.Connection.GetDatabase(), alice.Id, Node, Node + "/2");
        await ReadAfterChangeAsync(alice, bob, (false, false, false, false));
    }
}

/// <summary>One Api replica whose Redis restarts: what it held may be stale, so it reads Redis until it trusts its cache again.</summary>
public sealed class PresenceAfterRedisRestartTests : IAsyncLifetime
{
    private readonly PresenceReplicas _replicas = new();

    public Task InitializeAsync() => _replicas.InitializeAsync();

    public Task DisposeAsync() => _replicas.DisposeAsync();

    [Fact]
    public async Task After_a_redis_restart_presence_is_read_from_redis_until_the_cache_is_trusted_again()
    {
        var replica = _replicas.A;
        var cache = PresenceReplicas.Cache(replica);
        var alice = await OnboardedUser.CreateAsync(replica, "alice");
        var database = _replicas.Connection.GetDatabase();
        await PresenceSockets.AddAsync(database, alice.Id, "node", "node/1");
        Assert.True((await alice.Client.GetAsync("/users/@me", "/users/@me")).Body.GetProperty("online").GetBoolean());
        Assert.True(cache.TryGet<object>(CacheKeys.Presence(alice.Id), out _));

        await _replicas.Redis.StopAsync();
        await PresenceCacheTests.UntilAsync(() => !cache.IsTrusted);
        Assert.False(cache.TryGet<object>(CacheKeys.Presence(alice.Id), out _));

        // Alice's socket closes while the replica is not listening: it cannot hear that she went.
        await _replicas.Redis.StartAgainAsync();
        await PresenceCacheTests.UntilAsync(() => _replicas.Connection.IsConnected);
        await PresenceSockets.RemoveAsync(database, alice.Id, "node", "node/1");
        await PresenceCacheTests.UntilAsync(() => cache.IsTrusted);
        Assert.False((await alice.Client.GetAsync("/users/@me", "/users/@me")).Body.GetProperty("online").GetBoolean());
        Assert.True(cache.TryGet<object>(CacheKeys.Presence(alice.Id), out _));

        // And it hears changes again.
        await PresenceSockets.AddAsync(database, alice.Id, "node", "node/1");
        Assert.True((await alice.Client.GetAsync("/users/@me", "/users/@me")).Body.GetProperty("online").GetBoolean());
    }
}
