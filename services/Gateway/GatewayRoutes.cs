using Microsoft.Extensions.Configuration;
using Yarp.ReverseProxy.Configuration;

namespace Spokes.Gateway;

/// <summary>
/// The route table of Stoat's self-hosted stack (its Caddyfile): each public prefix goes to one service
/// with the prefix stripped, so the services serve at <c>/</c> exactly as Stoat's do. Destinations come
/// from service discovery configuration (<c>services__&lt;name&gt;__http__0</c>, as Aspire injects it).
/// </summary>
public static class GatewayRoutes
{
    public sealed record Route(string Prefix, string Service, bool Required);

    public static readonly IReadOnlyList<Route> Table =
    [
        new("/api", "api", Required: true),
        new("/ws", "events", Required: true),
        new("/autumn", "autumn", Required: true),
        new("/january", "january", Required: true),
        new("/gifbox", "gifbox", Required: true),
        new("/ingress", "voice-ingress", Required: true),
        // Voice is optional: without a LiveKit server the route is absent and /livekit answers 404.
        new("/livekit", "livekit", Required: false),
    ];

    /// <summary>
    /// The Api's web pages (setup wizard, admin page, external login), served at their own paths
    /// outside <c>/api</c>; <c>/</c> is the Api's <c>/home</c>, which leads to the wizard until setup is done.
    /// </summary>
    public static readonly IReadOnlyList<(string RouteId, string Match, string? PathSet)> ApiPages =
    [
        ("api-home", "/", "/home"),
        ("api-setup", "/setup/{**rest}", null),
        ("api-admin", "/admin/{**rest}", null),
        ("api-oidc", "/auth/oidc/{**rest}", null),
    ];

    public static (IReadOnlyList<RouteConfig> Routes, IReadOnlyList<ClusterConfig> Clusters) Build(IConfiguration configuration)
    {
        var routes = new List<RouteConfig>();
        var clusters = new List<ClusterConfig>();
        var missing = new List<string>();

        foreach (var route in Table)
        {
            var destinations = ResolveDestinations(configuration, route.Service);
            if (destinations.Count == 0)
            {
                if (route.Required) missing.Add(route.Service);
                continue;
            }

            clusters.Add(new ClusterConfig
            {
                ClusterId = route.Service,
                Destinations = destinations,
            });
            routes.Add(new RouteConfig
            {
                RouteId = route.Service,
                ClusterId = route.Service,
                Match = new RouteMatch { Path = route.Prefix + "/{**rest}" },
                Transforms =
                [
                    new Dictionary<string, string> { ["PathRemovePrefix"] = route.Prefix },
                    // For, Proto and Host as usual; the prefix is the one stripped here (YARP would take the
                    // empty PathBase), and a client's own X-Forwarded-* are replaced, never trusted.
                    new Dictionary<string, string> { ["X-Forwarded"] = "Set", ["Prefix"] = "Off" },
                    new Dictionary<string, string> { ["RequestHeader"] = "X-Forwarded-Prefix", ["Set"] = route.Prefix },
                ],
            });
        }

        if (clusters.Any(c => c.ClusterId == "api"))
        {
            foreach (var (routeId, match, pathSet) in ApiPages)
            {
                routes.Add(new RouteConfig
                {
                    RouteId = routeId,
                    ClusterId = "api",
                    Match = new RouteMatch { Path = match },
                    Transforms = pathSet is null
                        ? [new Dictionary<string, string> { ["X-Forwarded"] = "Set" }]
                        : [new Dictionary<string, string> { ["PathSet"] = pathSet }, new Dictionary<string, string> { ["X-Forwarded"] = "Set" }],
                });
            }
        }

        if (missing.Count > 0)
        {
            throw new InvalidOperationException(
                "The Gateway does not know where these services are: " + string.Join(", ", missing) +
                ". Set services__<name>__http__0 (the AppHost injects it), e.g. services__api__http__0=http://127.0.0.1:5000.");
        }
        return (routes, clusters);
    }

    /// <summary>Every address listed for the service, http endpoints first, then https.</summary>
    internal static Dictionary<string, DestinationConfig> ResolveDestinations(IConfiguration configuration, string service)
    {
        var destinations = new Dictionary<string, DestinationConfig>();
        foreach (var scheme in new[] { "http", "https" })
        {
            foreach (var entry in configuration.GetSection($"services:{service}:{scheme}").GetChildren())
            {
                if (!Uri.TryCreate(entry.Value, UriKind.Absolute, out var address) || address.Scheme is not ("http" or "https"))
                {
                    throw new InvalidOperationException(
                        $"services__{service}__{scheme}__{entry.Key} must be an absolute http(s) URL, not '{entry.Value}'.");
                }
                destinations[$"{service}-{scheme}-{entry.Key}"] = new DestinationConfig { Address = address.ToString() };
            }
        }
        return destinations;
    }
}
