using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Spokes.Gateway;

public static class WellKnownApi
{
    public sealed record StoatDiscovery(string Api);

    public static IEndpointRouteBuilder MapWellKnownApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/.well-known/stoat", Discovery).WithName("well_known_stoat");
        return app;
    }

    /// <summary>Instance discovery, as Stoat's self-hosted Caddyfile serves it: where this instance's API is.</summary>
    public static Ok<StoatDiscovery> Discovery(IOptionsMonitor<GatewayOptions> options) =>
        TypedResults.Ok(new StoatDiscovery(options.CurrentValue.PublicUrl.TrimEnd('/') + "/api"));
}
