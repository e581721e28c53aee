namespace Spokes.Api.RateLimits;

/// <summary>A bucket: its name, how many requests it allows per window, and the resource it is per (e.g. a channel).</summary>
public readonly record struct RateLimitBucket(string Name, int Limit, string? Resource);

/// <summary>
/// Stoat's buckets (crates/delta/src/util/ratelimits.rs): chosen by the first path segment and method, each
/// a fixed 10-second window.
/// </summary>
public static class RateLimitBuckets
{
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(10);

    public static RateLimitBucket Resolve(string method, string path)
    {
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        // Routing ignores case, so the bucket must too: /USERS/@me is /users/@me. Ids keep theirs.
        var first = segments.ElementAtOrDefault(0)?.ToLowerInvariant();
        var resource = segments.ElementAtOrDefault(1);
        var action = segments.ElementAtOrDefault(2)?.ToLowerInvariant();
        var post = HttpMethods.IsPost(method);
        return first switch
        {
            "users" when HttpMethods.IsPatch(method) => new("user_edit", 2, resource),
            "users" when action == "default_avatar" => new("default_avatar", 255, null),
            "users" => new("users", 20, null),
            "bots" => new("bots", 10, null),
            "channels" when resource is not null && post && action == "messages" => new("messaging", 10, resource),
            "channels" when resource is not null => new("channels", 15, resource),
            "servers" when resource is not null => new("servers", 5, resource),
            "auth" when HttpMethods.IsDelete(method) => new("auth_delete", 255, null),
            "auth" => new("auth", 15, null),
            "swagger" => new("swagger", 100, null),
            "safety" when resource?.ToLowerInvariant() == "report" => new("safety_report", 3, "report"),
            "safety" => new("safety", 15, null),
            // Spokes' own web pages, not Stoat's routes: each step of the wizard or the admin page is a form post and
            // the page it redirects to, and an automated walk through the wizard filled Stoat's "any" bucket with both.
            // The posts stay in "any"; the pages they lead to get a bucket of their own.
            "home" or "setup" or "admin" when HttpMethods.IsGet(method) => new("pages", 60, null),
            _ => new("any", 20, null),
        };
    }
}
