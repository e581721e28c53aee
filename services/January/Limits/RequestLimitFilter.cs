using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Spokes.January.Limits;

/// <summary>
/// January's rate limits, counted in Redis so they hold across replicas: every request counts against its client
/// address, and one that carries a session token also against that token (a client that invents tokens still meets
/// its address's limit). Over either, 429 with Stoat's <c>{"retry_after": ms}</c> and the Api's
/// <c>X-RateLimit-*</c> headers. Without Redis the request goes on: the limits protect the service, they must not
/// take it down.
/// </summary>
public sealed class RequestLimitFilter(string bucket) : IEndpointFilter
{
    private const string SessionHeader = "x-session-token";

    // One round trip for both counters: count each and start its window on its first request.
    private static readonly LuaScript CountScript = LuaScript.Prepare("""
        local result = {}
        for i, key in ipairs({ @address, @user }) do
          if key ~= '' then
            local count = redis.call('INCR', key)
            if count == 1 then redis.call('PEXPIRE', key, @window) end
            result[#result + 1] = count
            result[#result + 1] = redis.call('PTTL', key)
          end
        end
        return result
        """);

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next)
    {
        var context = invocation.HttpContext;
        var options = context.RequestServices.GetRequiredService<IOptions<JanuaryOptions>>().Value.RateLimit;
        if (!options.Enabled) return await next(invocation);

        var token = context.Request.Headers[SessionHeader].ToString();
        var address = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        RedisResult[] counts;
        try
        {
            counts = (RedisResult[])(await context.RequestServices.GetRequiredService<IConnectionMultiplexer>().GetDatabase().ScriptEvaluateAsync(CountScript, new
            {
                address = (RedisKey)$"january:ratelimit:{bucket}:ip:{address}",
                user = (RedisKey)(token.Length == 0 ? "" : $"january:ratelimit:{bucket}:token:{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)))}"),
                window = (long)options.Window.TotalMilliseconds,
            }))!;
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            context.RequestServices.GetRequiredService<ILogger<RequestLimitFilter>>()
                .LogWarning("January's rate limits are not enforced: Redis did not answer ({Error})", e.Message);
            return await next(invocation);
        }

        // The tighter of the two decides what the headers tell.
        var (limit, count, resetAfter) = ((long)options.PerAddress, (long)counts[0], (long)counts[1]);
        if (counts.Length == 4 && options.PerUser - (long)counts[2] < limit - count)
            (limit, count, resetAfter) = (options.PerUser, (long)counts[2], (long)counts[3]);
        var headers = context.Response.Headers;
        headers["X-RateLimit-Limit"] = limit.ToString(CultureInfo.InvariantCulture);
        headers["X-RateLimit-Bucket"] = bucket;
        headers["X-RateLimit-Remaining"] = Math.Max(limit - count, 0).ToString(CultureInfo.InvariantCulture);
        headers["X-RateLimit-Reset-After"] = Math.Max(resetAfter, 0).ToString(CultureInfo.InvariantCulture);
        if (count > limit) return Results.Json(new { retry_after = Math.Max(resetAfter, 0) }, statusCode: StatusCodes.Status429TooManyRequests);
        return await next(invocation);
    }
}
