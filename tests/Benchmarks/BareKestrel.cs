using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using System.Net;

namespace Spokes.Benchmarks;

/// <summary>A Kestrel app with one JSON endpoint about the size of a <c>GET /users/@me</c> answer.</summary>
public static class BareKestrel
{
    public static async Task<int> RunAsync(int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        app.MapGet("/", () => TypedResults.Ok(new Dictionary<string, object>
        {
            ["_id"] = "01JBENCHMARKBENCHMARKBENCHM",
            ["username"] = "bench",
            ["discriminator"] = "0001",
            ["relationship"] = "User",
            ["online"] = false,
        }));
        await app.RunAsync();
        return 0;
    }
}
