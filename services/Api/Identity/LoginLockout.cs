using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Spokes.Api.Errors;
using StackExchange.Redis;

namespace Spokes.Api.Identity;

/// <summary>What a wrong answer guessed at. Each is counted apart, so that knowing the password does not reset the count of guesses at the second factor.</summary>
public enum LoginFactor { Password, SecondFactor }

/// <summary>
/// Authifier's login lockout: after the third wrong answer to an account it locks for a minute, after the fourth
/// for five, after each one beyond for an hour; while it holds, even the right answer is refused unchecked, or the
/// lock would not stop guessing. Failures are forgotten a day after the last one. The count lives in Redis, so it
/// holds across every Api replica; when Redis cannot be reached, logins are refused (<c>InternalError</c>) rather
/// than left to unlimited guesses.
/// <para>
/// An account is counted by its address's key, and an address without an account is counted the same way, so
/// the lock says nothing about who has an account.
/// </para>
/// <para>
/// Authifier's lock alone lets an attacker keep the owner out for good, one wrong guess an hour. Here the
/// account's lock does not hold a client address that completed a login to the account in the last 30 days;
/// such an address is locked only by its own failures. An attacker cannot make their address known without
/// logging in, so the owner keeps logging in from where they did before however long the guessing goes on. On a
/// new device, opening an emailed password-reset link makes that address known and clears the account's lock (as
/// a reset clears it in authifier); without email, the owner there waits until the guessing stops. Addresses are
/// counted per IPv4 address and per IPv6 /64, the block one subscriber is given.
/// </para>
/// </summary>
public sealed class LoginLockout(IConnectionMultiplexer redis, TimeProvider clock, ILogger<LoginLockout> logger)
{
    private static readonly TimeSpan FailureMemory = TimeSpan.FromDays(1);

    private static readonly TimeSpan KnownAddressMemory = TimeSpan.FromDays(30);

    // Every answer is counted as a failure before it is checked, and a right one is taken back after, so that
    // answers sent all at once cannot all be checked before the first failure counts.
    // KEYS: the account's count, the address's count, the address's known mark. ARGV: now, memory, then the lock after
    // 1, 2 … n or more failures (ms). Returns how long a lock still holds (ms), and the lock this answer set on the account.
    private const string ChargeScript = """
        local now = tonumber(ARGV[1])
        local held = tonumber(redis.call('HGET', KEYS[2], 'until') or '0')
        if redis.call('EXISTS', KEYS[3]) == 0 then held = math.max(held, tonumber(redis.call('HGET', KEYS[1], 'until') or '0')) end
        if held > now then return { held - now, '' } end
        local set = ''
        for i = 1, 2 do
          local failures = redis.call('HINCRBY', KEYS[i], 'failures', 1)
          local lock = tonumber(ARGV[2 + math.min(failures, #ARGV - 2)])
          if lock > 0 then
            local lockedUntil = string.format('%.0f', now + lock)
            redis.call('HSET', KEYS[i], 'until', lockedUntil)
            if i == 1 then set = lockedUntil end
          end
          redis.call('PEXPIRE', KEYS[i], ARGV[2])
        end
        return { 0, set }
        """;

    // KEYS: the account's count, the address's count. ARGV: the lock the answer set on the account, if any.
    private const string RefundScript = """
        redis.call('DEL', KEYS[2])
        redis.call('HINCRBY', KEYS[1], 'failures', -1)
        if ARGV[1] ~= '' and redis.call('HGET', KEYS[1], 'until') == ARGV[1] then redis.call('HDEL', KEYS[1], 'until') end
        """;

    /// <summary>The lock after the 1st, 2nd … 5th and every later failure in a row (authifier's schedule).</summary>
    private static readonly TimeSpan[] Schedule = [TimeSpan.Zero, TimeSpan.Zero, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5), TimeSpan.FromHours(1)];

    /// <summary>
    /// Whether <paramref name="answer"/> is right, asked only while no lock holds (else <c>LockedOut</c>). A wrong
    /// one counts against the account and <paramref name="address"/>; a right one clears that address's count.
    /// </summary>
    public async Task<bool> CheckAsync(LoginFactor factor, string subject, IPAddress? address, Func<Task<bool>> answer)
    {
        var keys = Keys.For(factor, subject, address);
        RedisValue[] arguments = [clock.GetUtcNow().ToUnixTimeMilliseconds(), (long)FailureMemory.TotalMilliseconds,
            .. Schedule.Select(lockFor => (RedisValue)(long)lockFor.TotalMilliseconds)];
        var charged = (RedisResult[])(await RedisAsync(db => db.ScriptEvaluateAsync(ChargeScript, [keys.Account, keys.Address, keys.Known], arguments)))!;
        if ((long)charged[0] > 0) throw StoatException.LockedOut();

        if (!await answer()) return false;
        await RedisAsync(db => db.ScriptEvaluateAsync(RefundScript, [keys.Account, keys.Address], [(string?)charged[1]]));
        return true;
    }

    /// <summary>A login to the account completed from <paramref name="address"/>: the account's lock no longer holds it.</summary>
    public Task RememberAsync(string subject, IPAddress? address) =>
        RedisAsync(db => db.StringSetAsync(Keys.For(LoginFactor.Password, subject, address).Known, 1, KnownAddressMemory));

    /// <summary>
    /// A password-reset link was opened from <paramref name="address"/>: the owner is there. The account's locks are
    /// cleared and the address is remembered.
    /// </summary>
    public async Task ReleaseAsync(string subject, IPAddress? address)
    {
        var (password, secondFactor) = (Keys.For(LoginFactor.Password, subject, address), Keys.For(LoginFactor.SecondFactor, subject, address));
        await RedisAsync(db => db.KeyDeleteAsync([password.Account, password.Address, secondFactor.Account, secondFactor.Address]));
        await RememberAsync(subject, address);
    }

    private Task<T> RedisAsync<T>(Func<IDatabase, Task<T>> command) => FailClosedRedis.RunAsync(redis, logger, "Login refused", command);

    /// <summary>
    /// The Redis keys of one account and address. The account's part is hashed (no email addresses in Redis) and in braces,
    /// so all of an account's keys share one cluster slot and a script may touch them together.
    /// </summary>
    private sealed record Keys(RedisKey Account, RedisKey Address, RedisKey Known)
    {
        public static Keys For(LoginFactor factor, string subject, IPAddress? address)
        {
            var account = $"lockout:{{{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(subject)))[..32]}}}";
            var counted = factor == LoginFactor.Password ? "password" : "second-factor";
            var source = SourceOf(address);
            return new Keys($"{account}:{counted}", $"{account}:{counted}:{source}", $"{account}:known:{source}");
        }

        private static string SourceOf(IPAddress? address) => address switch
        {
            null => "unknown",
            { IsIPv4MappedToIPv6: true } => address.MapToIPv4().ToString(),
            { AddressFamily: AddressFamily.InterNetworkV6 } => $"{new IPAddress([.. address.GetAddressBytes()[..8], .. new byte[8]])}/64",
            _ => address.ToString(),
        };
    }
}
