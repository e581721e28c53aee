using Microsoft.AspNetCore.Http.HttpResults;
using Spokes.Api.Configuration;

namespace Spokes.Api.Apis;

public static class RootApi
{
    public static IEndpointRouteBuilder MapRootApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", QueryNode)
            .WithName("root_root")
            .WithSummary("Query Node")
            .WithDescription("Fetch the server configuration for this instance.")
            .WithTags("Core");
        return app;
    }

    public static Ok<RootConfiguration> QueryNode(RootConfigurationFactory factory) =>
        TypedResults.Ok(factory.Create());
}
