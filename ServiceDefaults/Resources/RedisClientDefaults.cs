using StackExchange.Redis;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// How every service's Redis client behaves when Redis is stalled or gone: a command that cannot be answered soon
/// fails soon. By default StackExchange.Redis queues commands while it reconnects and gives each 5 s, so a request
/// that touches Redis (every Api request does, for its rate limit) would wait that long, or for the whole stall.
/// Pass to Aspire's client: <c>builder.AddRedisClient("redis", configureOptions: RedisClientDefaults.Apply)</c>.
/// </summary>
public static class RedisClientDefaults
{
    public static void Apply(ConfigurationOptions options)
    {
        options.BacklogPolicy = BacklogPolicy.FailFast;
        options.AsyncTimeout = 2000;
        options.SyncTimeout = 2000;
        options.ConnectTimeout = 2000;
    }
}
