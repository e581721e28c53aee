using Microsoft.Extensions.Options;

namespace Spokes.Gateway;

internal static class Extensions
{
    public static IHostApplicationBuilder AddGatewayServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<GatewayOptions>()
            .BindConfiguration(GatewayOptions.SectionName)
            .Validate(o => Uri.TryCreate(o.PublicUrl, UriKind.Absolute, out var url) && url.Scheme is "http" or "https",
                "Gateway:PublicUrl must be an absolute http(s) URL.")
            .ValidateOnStart();

        builder.AddGatewayCors();
        var (routes, clusters) = GatewayRoutes.Build(builder.Configuration);
        builder.Services.AddReverseProxy().LoadFromMemory(routes, clusters)
            .AddTransforms(context => context.RemoveServiceCorsHeaders());
        return builder;
    }
}
