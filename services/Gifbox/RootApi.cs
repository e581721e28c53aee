using Spokes.ServiceDefaults;

namespace Spokes.Gifbox;

public static class RootApi
{
    public sealed record RootResponse(string Gifbox, string Version);

    public static IEndpointRouteBuilder MapRootApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", Root).WithName("gifbox_root").WithSummary("Service information");
        return app;
    }

    public static RootResponse Root() => new("Hello, I am a GIF search proxy!", ServiceInfo.Version);
}
