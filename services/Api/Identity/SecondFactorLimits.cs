using Spokes.Api.Errors;
using Spokes.Api.Storage;
using StackExchange.Redis;

namespace Spokes.Api.Identity;

/// <summary>
/// What limits guessing at a second factor besides <see cref="LoginLockout"/>: a login ticket is burned after
/// <see cref="TicketFailures"/> wrong answers, and a TOTP code works once (RFC 6238 §5.2), so a code read over
/// someone's shoulder or from a log is no use once it was used. Kept in Redis for every replica; when Redis cannot
/// be reached, answers are refused (<c>InternalError</c>) as logins are.
/// </summary>
public sealed class SecondFactorLimits(IConnectionMultiplexer redis, ILogger<SecondFactorLimits> logger)
{
    public const int TicketFailures = 3;

    /// <summary>A code is accepted up to a step either side of its own (a minute and a half); this covers that.</summary>
    private static readonly TimeSpan UsedStepMemory = TimeSpan.FromMinutes(2);

    // KEYS: the account's last used step. ARGV: the step, memory (ms). 1 if the step is later than any used before.
    private const string ClaimScript = """
        local last = tonumber(redis.call('GET', KEYS[1]) or '-1')
        if tonumber(ARGV[1]) <= last then return 0 end
        redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
        return 1
        """;

    /// <summary>Counts a wrong answer given with <paramref name="ticket"/>; true once it has had its last one and must be burned.</summary>
    public async Task<bool> CountTicketFailureAsync(MfaTicket ticket)
    {
        var key = $"mfa-ticket:{ticket.Id}:failures";
        var failures = await RedisAsync(async db =>
        {
            var count = await db.StringIncrementAsync(key);
            await db.KeyExpireAsync(key, MfaService.TicketLifetime);
            return count;
        });
        return failures >= TicketFailures;
    }

    /// <summary>
    /// Takes TOTP time step <paramref name="step"/> for the account; false when it or a later one was already used,
    /// so the code that matched is a replay.
    /// </summary>
    public async Task<bool> ClaimTotpStepAsync(string accountId, long step) =>
        (long)await RedisAsync(db => db.ScriptEvaluateAsync(ClaimScript, [$"totp:{accountId}:used-step"], [step, (long)UsedStepMemory.TotalMilliseconds])) == 1;

    private Task<T> RedisAsync<T>(Func<IDatabase, Task<T>> command) => FailClosedRedis.RunAsync(redis, logger, "Second factor refused", command);
}
