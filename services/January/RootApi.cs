using Spokes.ServiceDefaults;

namespace Spokes.January;

public static class RootApi
{
    public sealed record RootResponse(string January, string Version);

    public static IEndpointRouteBuilder MapRootApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", Root).WithName("january_root").WithSummary("Service information");
        return app;
    }

    // Stoat's January greets with exactly these keys.
    public static RootResponse Root() => new("Hello, I am a media proxy server!", ServiceInfo.Version);
}
