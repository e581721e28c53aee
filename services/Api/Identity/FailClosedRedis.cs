using Spokes.Api.Errors;
using StackExchange.Redis;

namespace Spokes.Api.Identity;

/// <summary>
/// A Redis command whose answer guards a login: when Redis cannot answer it, the login is refused
/// (<c>InternalError</c>) rather than let through with its guessing unlimited.
/// </summary>
public static class FailClosedRedis
{
    public static async Task<T> RunAsync<T>(IConnectionMultiplexer redis, ILogger logger, string refused, Func<IDatabase, Task<T>> command)
    {
        try
        {
            return await command(redis.GetDatabase());
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            logger.LogWarning(e, "{Refused}: its limits in Redis could not be read or written", refused);
            throw StoatException.InternalError();
        }
    }
}
