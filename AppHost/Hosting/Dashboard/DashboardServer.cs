using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Spokes.AppHost.Hosting;

/// <summary>
/// The AppHost's dashboard: a page listing each resource's state, endpoints, health and last log lines,
/// refreshed every second from <c>/api/resources</c>.
/// </summary>
public sealed class DashboardServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private DashboardServer(WebApplication app, string url)
    {
        _app = app;
        Url = url;
    }

    public string Url { get; }

    public static async Task<DashboardServer> StartAsync(IEnumerable<Resource> resources, ResourceLogs logs, int preferredPort)
    {
        var list = resources.Where(r => r.IsRunnable).ToList();
        var port = ResourceRunner.IsFree(preferredPort) ? preferredPort : ResourceRunner.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Converters.Add(new JsonStringEnumConverter()));
        var app = builder.Build();

        app.MapGet("/", () => Results.Content(DashboardPage.Html, "text/html; charset=utf-8"));
        app.MapGet("/api/resources", () => Results.Json(list.Select(r => new
        {
            snapshot = r.Snapshot(),
            logFile = logs.FileOf(r),
        })));
        app.MapGet("/api/resources/{name}/logs", (string name, int? tail) =>
            list.FirstOrDefault(r => r.Name == name) is { } resource
                ? Results.Json(resource.Logs.Tail(Math.Clamp(tail ?? 200, 1, 1000)))
                : Results.NotFound(new { error = $"No resource named '{name}'." }));

        await app.StartAsync();
        return new DashboardServer(app, $"http://127.0.0.1:{port}");
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
