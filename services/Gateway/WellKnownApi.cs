using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Spokes.Gateway;

public static class WellKnownApi
{
    public sealed record StoatDiscovery(string Api);

    public static IEndpointRouteBuilder MapWellKnownApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/.well-known/stoat", Discovery).WithName("well_known_stoat");
        app.MapGet("/", Home).WithName("home");
        return app;
    }

    /// <summary>Instance discovery, as Stoat's self-hosted Caddyfile serves it: where this instance's API is.</summary>
    public static Ok<StoatDiscovery> Discovery(IOptionsMonitor<GatewayOptions> options) =>
        TypedResults.Ok(new StoatDiscovery(options.CurrentValue.PublicUrl.TrimEnd('/') + "/api"));

    /// <summary>Stands where the web client will be served, and tells a visitor where the API is.</summary>
    public static ContentHttpResult Home(IOptionsMonitor<GatewayOptions> options)
    {
        var publicUrl = System.Net.WebUtility.HtmlEncode(options.CurrentValue.PublicUrl.TrimEnd('/'));
        return TypedResults.Content($"""
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>Spokes</title></head>
            <body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto">
            <h1>Spokes is running</h1>
            <p>The web client is not served here yet. Point a Stoat client or bot at this instance:</p>
            <ul>
              <li>API: <code>{publicUrl}/api</code></li>
              <li>Events: <code>{publicUrl}/ws</code></li>
              <li>Discovery: <a href="/.well-known/stoat"><code>/.well-known/stoat</code></a></li>
            </ul>
            </body></html>
            """, "text/html; charset=utf-8");
    }
}
