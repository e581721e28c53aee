using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Spokes.TestSupport;

namespace Spokes.ServiceDefaults.Tests;

/// <summary>
/// A stand-in OTLP/HTTP collector. It is an HttpListener, not ASP.NET Core, because ASP.NET Core's request
/// activities are process-wide: the service under test would trace the collector's requests too.
/// </summary>
internal sealed class OtlpCollector : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly ConcurrentQueue<(string Signal, string Body)> _received = new();

    public OtlpCollector()
    {
        var port = Ports.Free();
        Url = $"http://127.0.0.1:{port}";
        _listener.Prefixes.Add(Url + "/");
        _listener.Start();
        _ = AcceptAsync();
    }

    public string Url { get; }

    public IReadOnlyCollection<(string Signal, string Body)> Received => _received;

    public bool Has(string signal, string text) =>
        _received.Any(r => r.Signal == signal && r.Body.Contains(text, StringComparison.Ordinal));

    private async Task AcceptAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
            {
                return;
            }
            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body);
            // Protobuf keeps strings as UTF-8 bytes: enough to find span names and log messages.
            _received.Enqueue((context.Request.Url!.AbsolutePath.Replace("/v1/", ""), Encoding.UTF8.GetString(body.ToArray())));
            context.Response.StatusCode = 200;
            context.Response.Close();
        }
    }

    public void Dispose() => _listener.Close();
}

public class TelemetryTests
{
    /// <summary>Serves one request, then waits until <paramref name="exported"/> holds or a few seconds pass.</summary>
    private static async Task RunServiceAsync(string? otlpEndpoint, Func<bool> exported)
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        if (otlpEndpoint is not null)
        {
            builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"] = otlpEndpoint;
            builder.Configuration["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf";
        }
        // Export every few hundred milliseconds instead of every 5 s (spans, logs) and 60 s (metrics).
        builder.Configuration["OTEL_BSP_SCHEDULE_DELAY"] = "100";
        builder.Configuration["OTEL_BLRP_SCHEDULE_DELAY"] = "100";
        builder.Configuration["OTEL_METRIC_EXPORT_INTERVAL"] = "200";
        builder.AddServiceDefaults();
        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapGet("/work", (ILogger<TelemetryTests> logger) =>
        {
            logger.LogInformation("Handled the work request");
            return "done";
        });
        await app.StartAsync();
        var client = app.GetTestClient();
        Assert.Equal("done", await client.GetStringAsync("/work"));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health")).StatusCode);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!exported() && clock.Elapsed < TimeSpan.FromSeconds(10)) await Task.Delay(100);
        await app.StopAsync();
        await app.DisposeAsync();
    }

    [Fact]
    public async Task Traces_metrics_and_logs_are_exported_over_otlp_when_an_endpoint_is_set()
    {
        using var collector = new OtlpCollector();
        await RunServiceAsync(collector.Url, () =>
            collector.Has("traces", "GET /work") && collector.Has("logs", "Handled the work request")
            && collector.Has("metrics", "http.server.request.duration"));

        Assert.True(collector.Has("traces", "GET /work"), "the request's span was not exported");
        Assert.True(collector.Has("logs", "Handled the work request"), "the log record was not exported");
        Assert.True(collector.Has("metrics", "http.server.request.duration"), "ASP.NET Core's request metrics were not exported");
        // The server span a probe would make ("GET /health"): the process's other tests make client spans of their own
        // (the Swift test server's /healthcheck probe), which this service's HttpClient instrumentation also sees.
        Assert.False(collector.Has("traces", "GET /health"), "health probes must not be traced");
    }

    [Fact]
    public async Task Nothing_is_exported_without_an_endpoint()
    {
        using var collector = new OtlpCollector();
        await RunServiceAsync(otlpEndpoint: null, () => collector.Received.Count > 0);
        Assert.Empty(collector.Received);
    }
}
