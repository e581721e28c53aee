using System.Globalization;
using Grpc.Core;
using Microsoft.Extensions.Options;
using Spokes.Contracts.Sessions.V1;
using StackExchange.Redis;

namespace Spokes.Gifbox.Gifs;

/// <summary>
/// Stoat's Gifbox routes — <c>/categories</c>, <c>/search</c>, <c>/trending</c> — for signed-in users and bots
/// (their token checked by the Api), each under Stoat's per-user limit.
/// </summary>
public static class GifApi
{
    public static IEndpointRouteBuilder MapGifApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/categories", (string? locale, GifService gifs, CancellationToken ct) => gifs.CategoriesAsync(locale, ct))
            .WithName("gifbox_categories").AddEndpointFilter(new SignedInFilter("categories", 2));
        app.MapGet("/search", (string? query, string? locale, int? limit, bool? is_category, string? position, GifService gifs, CancellationToken ct) =>
                gifs.SearchAsync(query, locale, limit, is_category, position, ct))
            .WithName("gifbox_search").AddEndpointFilter(new SignedInFilter("search", 10));
        app.MapGet("/trending", (string? locale, int? limit, string? position, GifService gifs, CancellationToken ct) => gifs.TrendingAsync(locale, limit, position, ct))
            .WithName("gifbox_trending").AddEndpointFilter(new SignedInFilter("trending", 5));
        return app;
    }

    /// <summary>
    /// The caller's session or bot token turned into a user by the Api's <c>Sessions.Authenticate</c>, then counted
    /// against Stoat's limit for the route (per user, a 10-second window) in Redis.
    /// </summary>
    private sealed class SignedInFilter(string bucket, int limit) : IEndpointFilter
    {
        private static readonly TimeSpan Window = TimeSpan.FromSeconds(10);

        private static readonly LuaScript CountScript = LuaScript.Prepare("""
            local count = redis.call('INCR', @key)
            if count == 1 then redis.call('PEXPIRE', @key, @window) end
            return { count, redis.call('PTTL', @key) }
            """);

        public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next)
        {
            var context = invocation.HttpContext;
            var user = await AuthenticateAsync(context);
            if (!context.RequestServices.GetRequiredService<IOptions<GifboxOptions>>().Value.RateLimitEnabled) return await next(invocation);
            RedisResult[] counted;
            try
            {
                counted = (RedisResult[])(await context.RequestServices.GetRequiredService<IConnectionMultiplexer>().GetDatabase().ScriptEvaluateAsync(CountScript,
                    new { key = (RedisKey)$"gifbox:ratelimit:{bucket}:{user}", window = (long)Window.TotalMilliseconds }))!;
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                context.RequestServices.GetRequiredService<ILogger<GifService>>().LogWarning("Gifbox's rate limits are not enforced: Redis did not answer ({Error})", e.Message);
                return await next(invocation);
            }
            var (count, resetAfter) = ((long)counted[0], Math.Max((long)counted[1], 0));
            var headers = context.Response.Headers;
            headers["X-RateLimit-Limit"] = limit.ToString(CultureInfo.InvariantCulture);
            headers["X-RateLimit-Bucket"] = bucket;
            headers["X-RateLimit-Remaining"] = Math.Max(limit - count, 0).ToString(CultureInfo.InvariantCulture);
            headers["X-RateLimit-Reset-After"] = resetAfter.ToString(CultureInfo.InvariantCulture);
            return count > limit
                ? Results.Json(new { retry_after = resetAfter }, statusCode: StatusCodes.Status429TooManyRequests)
                : await next(invocation);
        }

        private static async Task<string> AuthenticateAsync(HttpContext context)
        {
            var (token, kind) = context.Request.Headers["x-session-token"].ToString() is { Length: > 0 } session
                ? (session, TokenKind.Session)
                : (context.Request.Headers["x-bot-token"].ToString(), TokenKind.Bot);
            if (token.Length == 0) throw GifboxException.NotAuthenticated();
            try
            {
                var reply = await context.RequestServices.GetRequiredService<Sessions.SessionsClient>()
                    .AuthenticateAsync(new AuthenticateRequest { Token = token, Kind = kind }, cancellationToken: context.RequestAborted);
                return reply.UserId;
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
            {
                throw GifboxException.InvalidSession();
            }
        }
    }
}
