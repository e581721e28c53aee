using System.Globalization;
using System.Net;
using Spokes.Api.Errors;
using Spokes.Api.Identity;
using Spokes.Api.Storage;
using StackExchange.Redis;

namespace Spokes.Api.RateLimits;

public sealed class RateLimitOptions
{
    public const string SectionName = "Api:RateLimit";

    public bool Enabled { get; set; } = true;
}

/// <summary>
/// Stoat's rate limits, counted in Redis so that they hold across every Api replica (Stoat counts per
/// process). Requests are counted per user when authenticated, per client address otherwise. Every answer
/// carries <c>X-RateLimit-Limit/-Bucket/-Remaining/-Reset-After</c>; one over the limit gets 429 with
/// <c>{"retry_after": ms}</c>. If Redis cannot be reached the request is let through and a warning logged:
/// the limits protect the service, they must not take it down; but sign-in and account routes are refused then
/// (503), as their limit is what stops password guessing.
/// </summary>
public sealed class RateLimitMiddleware(RequestDelegate next, IConnectionMultiplexer redis, ILogger<RateLimitMiddleware> logger)
{
    private const string AuthBucket = "auth";

    // One round trip, atomically: count the request and start the window on the first one.
    private static readonly LuaScript CountScript = LuaScript.Prepare("""
        local count = redis.call('INCR', @key)
        if count == 1 then redis.call('PEXPIRE', @key, @window) end
        return { count, redis.call('PTTL', @key) }
        """);

    public async Task InvokeAsync(HttpContext context)
    {
        // Probes of the orchestrator and Kubernetes are not clients.
        if (context.Request.Path.StartsWithSegments(ServiceDefaultsExtensions.HealthEndpointPath)
            || context.Request.Path.StartsWithSegments(ServiceDefaultsExtensions.AlivenessEndpointPath))
        {
            await next(context);
            return;
        }

        var bucket = RateLimitBuckets.Resolve(context.Request.Method, context.Request.Path.Value ?? "/");
        var identity = await IdentityAsync(context);
        var key = $"ratelimit:{identity}:{bucket.Name}" + (bucket.Resource is null ? "" : $":{bucket.Resource}");

        RedisResult[] result;
        try
        {
            result = (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(CountScript,
                new { key = (RedisKey)key, window = (long)RateLimitBuckets.Window.TotalMilliseconds }))!;
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            // Without Redis the count is unknown. Most routes go on (the limits protect the service, they must not
            // take it down); sign-in and account routes do not, or a Redis outage would open them to guessing.
            if (bucket.Name == AuthBucket)
            {
                logger.LogWarning("Refused {Method} {Path}: its rate limit cannot be counted while Redis does not answer", context.Request.Method, context.Request.Path);
                await StoatErrorHandling.WriteAsync(context, new StoatException("InternalError", HttpStatusCode.ServiceUnavailable));
                return;
            }
            logger.LogWarning("Rate limits are not enforced: Redis did not answer ({Error})", e.Message);
            await next(context);
            return;
        }

        var count = (long)result[0];
        var resetAfter = Math.Max((long)result[1], 0);
        // Set as the response starts: the error handler clears headers when it writes a refusal.
        context.Response.OnStarting(() =>
        {
            var headers = context.Response.Headers;
            headers["X-RateLimit-Limit"] = bucket.Limit.ToString(CultureInfo.InvariantCulture);
            headers["X-RateLimit-Bucket"] = bucket.Name;
            headers["X-RateLimit-Remaining"] = Math.Max(bucket.Limit - count, 0).ToString(CultureInfo.InvariantCulture);
            headers["X-RateLimit-Reset-After"] = resetAfter.ToString(CultureInfo.InvariantCulture);
            return Task.CompletedTask;
        });

        if (count > bucket.Limit)
        {
            context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
            await context.Response.WriteAsJsonAsync(new { retry_after = resetAfter });
            return;
        }
        await next(context);
    }

    /// <summary>
    /// The user behind a valid session or bot token (kept for the handler, so each is looked up once),
    /// else the client's address as the forwarded-headers middleware resolved it.
    /// </summary>
    private static async Task<string> IdentityAsync(HttpContext context)
    {
        var token = context.Request.Headers[CurrentSession.Header].ToString();
        if (token.Length > 0)
        {
            var session = await context.RequestServices.GetRequiredService<ISessionStore>().FindByTokenAsync(token, context.RequestAborted);
            if (session is not null)
            {
                context.Items[typeof(Session)] = session;
                return "user:" + session.UserId;
            }
        }
        var botToken = context.Request.Headers[CurrentUser.BotTokenHeader].ToString();
        if (botToken.Length > 0 && await context.RequestServices.GetRequiredService<IBotStore>().FindByTokenAsync(botToken, context.RequestAborted) is { } bot)
        {
            context.Items[typeof(Bot)] = bot;
            return "user:" + bot.Id;
        }
        return "ip:" + (context.Connection.RemoteIpAddress?.ToString() ?? "unknown");
    }
}

public static class RateLimitExtensions
{
    public static IApplicationBuilder UseStoatRateLimits(this IApplicationBuilder app)
    {
        if (app.ApplicationServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<RateLimitOptions>>().Value.Enabled)
        {
            app.UseMiddleware<RateLimitMiddleware>();
        }
        return app;
    }
}
