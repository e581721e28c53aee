using StackExchange.Redis;

namespace Spokes.Crond;

/// <summary>
/// Which replica runs a job's period. Time is cut into periods of the job's interval; a replica may run period
/// <c>n</c> only if no replica has claimed <c>n</c> or a later one, which one Redis script decides atomically. The
/// claim carries a fencing token (a counter per job), so a command from a replica that lost its claim can be told
/// from the current one. After downtime the current period is claimed once: missed periods are not made up one by one.
/// </summary>
public sealed class JobLease(IConnectionMultiplexer redis)
{
    private const string Prefix = "spokes:crond:";

    private static readonly LuaScript Claim = LuaScript.Prepare("""
        local last = tonumber(redis.call('GET', @period) or '-1')
        if last >= tonumber(@current) then return {0, last} end
        redis.call('SET', @period, @current)
        return {redis.call('INCR', @fence), last}
        """);

    // Undoes a claim whose command could not be sent, so the period is tried again; only if nobody claimed since.
    private static readonly LuaScript Release = LuaScript.Prepare("""
        if redis.call('GET', @period) == @current and redis.call('GET', @fence) == @token then
          redis.call('SET', @period, @previous)
          return 1
        end
        return 0
        """);

    public static long PeriodOf(DateTimeOffset moment, TimeSpan interval) => moment.ToUnixTimeMilliseconds() / (long)interval.TotalMilliseconds;

    public static DateTimeOffset StartOf(long period, TimeSpan interval) => DateTimeOffset.FromUnixTimeMilliseconds(period * (long)interval.TotalMilliseconds);

    /// <summary>The claim of <paramref name="period"/>, or null when it (or a later one) was already claimed.</summary>
    public async Task<JobClaim?> TryClaimAsync(string job, long period)
    {
        var result = (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(Claim, new
        {
            period = (RedisKey)(Prefix + job + ":period"), fence = (RedisKey)(Prefix + job + ":fence"), current = period,
        }))!;
        var fence = (long)result[0];
        return fence == 0 ? null : new JobClaim(job, period, fence, (long)result[1]);
    }

    public async Task ReleaseAsync(JobClaim claim) =>
        await redis.GetDatabase().ScriptEvaluateAsync(Release, new
        {
            period = (RedisKey)(Prefix + claim.Job + ":period"), fence = (RedisKey)(Prefix + claim.Job + ":fence"),
            current = claim.Period, token = claim.Fence, previous = claim.PreviousPeriod,
        });
}

public sealed record JobClaim(string Job, long Period, long Fence, long PreviousPeriod);
