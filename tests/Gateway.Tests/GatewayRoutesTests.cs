using Microsoft.Extensions.Configuration;

namespace Spokes.Gateway.Tests;

public class GatewayRoutesTests
{
    private static readonly string[] RequiredServices = ["api", "events", "autumn", "january", "gifbox", "voice-ingress"];

    private static IConfiguration Services(params string[] names) => new ConfigurationBuilder()
        .AddInMemoryCollection(names.Select(n => KeyValuePair.Create($"services:{n}:http:0", (string?)$"http://127.0.0.1:5{n.Length}00")))
        .Build();

    [Fact]
    public void Every_stoat_prefix_routes_to_its_service_with_the_prefix_stripped()
    {
        var (routes, clusters) = GatewayRoutes.Build(Services(RequiredServices));
        Assert.Equal(RequiredServices.Order(), clusters.Select(c => c.ClusterId).Order());
        var api = routes.Single(r => r.RouteId == "api");
        Assert.Equal("/api/{**rest}", api.Match.Path);
        Assert.Contains(api.Transforms!, t => t.TryGetValue("PathRemovePrefix", out var prefix) && prefix == "/api");
        Assert.Equal("/ws/{**rest}", routes.Single(r => r.RouteId == "events").Match.Path);
    }

    [Fact]
    public void The_api_web_pages_keep_their_paths_and_the_root_is_the_api_home_page()
    {
        var (routes, _) = GatewayRoutes.Build(Services(RequiredServices));
        var home = routes.Single(r => r.Match.Path == "/");
        Assert.Equal("api", home.ClusterId);
        Assert.Contains(home.Transforms!, t => t.TryGetValue("PathSet", out var path) && path == "/home");
        foreach (var path in new[] { "/setup/{**rest}", "/admin/{**rest}", "/auth/oidc/{**rest}" })
        {
            var route = routes.Single(r => r.Match.Path == path);
            Assert.Equal("api", route.ClusterId);
            Assert.DoesNotContain(route.Transforms!, t => t.ContainsKey("PathRemovePrefix"));
        }
    }

    [Fact]
    public void Livekit_is_routed_only_when_it_is_configured()
    {
        Assert.DoesNotContain(GatewayRoutes.Build(Services(RequiredServices)).Routes, r => r.RouteId == "livekit");
        Assert.Contains(GatewayRoutes.Build(Services([.. RequiredServices, "livekit"])).Routes, r => r.RouteId == "livekit");
    }

    [Fact]
    public void A_missing_service_address_stops_the_gateway_with_the_variable_to_set()
    {
        var error = Assert.Throws<InvalidOperationException>(() => GatewayRoutes.Build(Services("api", "events")));
        Assert.Contains("autumn", error.Message);
        Assert.Contains("services__<name>__http__0", error.Message);
    }

    [Fact]
    public void A_malformed_service_address_is_refused()
    {
        var configuration = new ConfigurationBuilder().AddConfiguration(Services(RequiredServices))
            .AddInMemoryCollection([KeyValuePair.Create("services:api:http:0", (string?)"not-a-url")]).Build();
        var error = Assert.Throws<InvalidOperationException>(() => GatewayRoutes.Build(configuration));
        Assert.Contains("services__api__http__0", error.Message);
    }

    [Fact]
    public void Every_listed_replica_becomes_a_destination()
    {
        var configuration = new ConfigurationBuilder().AddConfiguration(Services(RequiredServices))
            .AddInMemoryCollection([KeyValuePair.Create("services:events:http:1", (string?)"http://127.0.0.1:6001")]).Build();
        var events = GatewayRoutes.Build(configuration).Clusters.Single(c => c.ClusterId == "events");
        Assert.Equal(2, events.Destinations!.Count);
    }
}
