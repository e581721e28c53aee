using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace Spokes.Gateway;

/// <summary>
/// CORS for every public route, answered once here as Stoat's services answer it (delta's rocket_cors, autumn's and
/// gifbox's CorsLayer): any origin unless the operator lists some, Stoat's methods, any request header (Stoat mirrors
/// them: <c>X-Session-Token</c>, <c>X-Bot-Token</c>, <c>X-MFA-Ticket</c>, <c>Idempotency-Key</c> …), the rate-limit
/// headers readable by scripts, and never credentials: Stoat's tokens are headers, not cookies. Preflights are
/// answered here and never forwarded, so no service counts them as requests.
/// </summary>
public static class GatewayCors
{
    public static readonly string[] Methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"];

    public static readonly string[] ExposedHeaders = ["X-RateLimit-Limit", "X-RateLimit-Bucket", "X-RateLimit-Remaining", "X-RateLimit-Reset-After"];

    private const string ResponseHeaderPrefix = "Access-Control-";

    public static IHostApplicationBuilder AddGatewayCors(this IHostApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(GatewayOptions.SectionName).Get<GatewayOptions>() ?? new GatewayOptions();
        var origins = ParseOrigins(options.AllowedOrigins);
        builder.Services.AddCors(cors => cors.AddDefaultPolicy(policy =>
        {
            if (origins.Count == 0) policy.AllowAnyOrigin();
            else policy.WithOrigins([.. origins]);
            policy.WithMethods(Methods).AllowAnyHeader().WithExposedHeaders(ExposedHeaders);
        }));
        return builder;
    }

    /// <summary>
    /// A service's own CORS headers (a CorsLayer of its own, as Stoat's autumn has) give way to the Gateway's, so a
    /// browser never sees two answers, or a service's looser one, to the same question.
    /// </summary>
    public static TransformBuilderContext RemoveServiceCorsHeaders(this TransformBuilderContext context) =>
        context.AddResponseTransform(transform =>
        {
            var headers = transform.HttpContext.Response.Headers;
            foreach (var name in headers.Keys.Where(k => k.StartsWith(ResponseHeaderPrefix, StringComparison.OrdinalIgnoreCase)).ToList()) headers.Remove(name);
            return ValueTask.CompletedTask;
        });

    /// <summary>Parses <c>https://web.example.com, http://localhost:5173</c>; an entry that is not an origin stops the Gateway with its reason.</summary>
    public static IReadOnlyList<string> ParseOrigins(string value)
    {
        var origins = new List<string>();
        foreach (var entry in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!Uri.TryCreate(entry, UriKind.Absolute, out var origin) || origin.Scheme is not ("http" or "https")
                || origin.AbsolutePath != "/" || origin.Query.Length > 0 || origin.Fragment.Length > 0 || origin.UserInfo.Length > 0)
            {
                throw new InvalidOperationException(
                    $"{GatewayOptions.SectionName}:AllowedOrigins: '{entry}' is not an origin such as https://chat.example.com " +
                    "(scheme, host and port only); leave the setting empty to allow every origin.");
            }
            origins.Add(origin.GetLeftPart(UriPartial.Authority));
        }
        return origins;
    }
}
