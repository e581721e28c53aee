using Spokes.ServiceDefaults;

namespace Spokes.Autumn;

public static class RootApi
{
    public sealed record RootResponse(string Autumn, string Version);

    public static IEndpointRouteBuilder MapRootApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", Root).WithName("autumn_root").WithSummary("Service information");
        return app;
    }

    // Stoat's Autumn greets with exactly these keys; clients use `version` to detect the file server.
    public static RootResponse Root() => new("Hello, I am a file server!", ServiceInfo.Version);
}
