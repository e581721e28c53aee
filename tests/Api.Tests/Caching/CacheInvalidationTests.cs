using Microsoft.Extensions.Logging.Abstractions;
using Spokes.Api.Caching;
using Spokes.TestSupport;
using StackExchange.Redis;

namespace Spokes.Api.Tests.Caching;

public class CacheInvalidationTests
{
    private static Task UntilAsync(Func<bool> condition) => Poll.UntilAsync(condition, TimeSpan.FromSeconds(10));

    [Fact]
    public async Task A_replica_that_loses_redis_stops_serving_from_its_cache()
    {
        var redis = new RedisServer();
        await redis.InitializeAsync();
        await using var connection = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var cache = new RecordCache(new RecordCacheOptions(), TimeProvider.System);
        var invalidation = new CacheInvalidation(connection, cache, TimeProvider.System, NullLogger<CacheInvalidation>.Instance);
        await invalidation.StartAsync(CancellationToken.None);
        await UntilAsync(() => cache.IsTrusted);
        cache.Add(CacheKeys.User("1"), "held", cache.Epoch);
        Assert.True(cache.TryGet<string>(CacheKeys.User("1"), out _));

        // Invalidations published from now on would not reach it.
        await redis.DisposeAsync();
        await UntilAsync(() => !cache.IsTrusted);
        Assert.False(cache.TryGet<string>(CacheKeys.User("1"), out _));
        await invalidation.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task An_invalidation_returns_once_every_replica_has_dropped_the_record()
    {
        var redis = new RedisServer();
        await redis.InitializeAsync();
        try
        {
            var replicas = new List<(ConnectionMultiplexer Connection, RecordCache Cache, CacheInvalidation Invalidation)>();
            for (var i = 0; i < 3; i++)
            {
                var connection = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
                var cache = new RecordCache(new RecordCacheOptions(), TimeProvider.System);
                var invalidation = new CacheInvalidation(connection, cache, TimeProvider.System, NullLogger<CacheInvalidation>.Instance);
                await invalidation.StartAsync(CancellationToken.None);
                replicas.Add((connection, cache, invalidation));
            }
            foreach (var replica in replicas) await UntilAsync(() => replica.Cache.IsTrusted);
            foreach (var replica in replicas) replica.Cache.Add(CacheKeys.Member("s", "u"), "held", replica.Cache.Epoch, CacheKeys.MembersOf("s"));

            await replicas[0].Invalidation.InvalidateAsync([CacheKeys.MembersOf("s")]);
            foreach (var replica in replicas) Assert.False(replica.Cache.TryGet<string>(CacheKeys.Member("s", "u"), out _));

            foreach (var replica in replicas)
            {
                await replica.Invalidation.StopAsync(CancellationToken.None);
                await replica.Connection.DisposeAsync();
            }
        }
        finally
        {
            await redis.DisposeAsync();
        }
    }
}
