using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Spokes.TestSupport;

namespace Spokes.Benchmarks;

/// <summary>
/// January's <c>/embed</c> on a cache miss (a page it has not seen) and a cache hit, next to a bare fetch of the same
/// page from this process; then January's resident memory while 100 requests at once make it fetch 20 MB pages
/// and proxy 20 MB videos (its caps must hold it flat).
/// </summary>
public static class EmbedBenchmark
{
    private const int Concurrency = 16;
    private const int HugeBytes = 20 * 1024 * 1024;

    private const string Page = """
        <html><head><meta property="og:title" content="A page"><meta property="og:description" content="Described">
        <meta property="og:image" content="https://images.example/a.png"><meta property="og:image:width" content="64"><meta property="og:image:height" content="32">
        </head><body>hello</body></html>
        """;

    public static async Task RunAsync(TimeSpan duration)
    {
        var redis = new RedisServer();
        var rabbitmq = new RabbitMqServer();
        await Task.WhenAll(redis.InitializeAsync(), rabbitmq.InitializeAsync());
        try
        {
            await MeasureAsync(redis, rabbitmq, duration);
        }
        finally
        {
            await Task.WhenAll(redis.DisposeAsync(), rabbitmq.DisposeAsync());
        }
    }

    private static async Task MeasureAsync(RedisServer redis, RabbitMqServer rabbitmq, TimeSpan duration)
    {
        await using var pages = await StartPagesAsync();
        var pagesUrl = pages.Urls.Single();
        using var folder = new TemporaryFolder("spokes-embed-bench");
        var port = Ports.Free();
        await using var january = LocalProgram.Service("january", "Spokes.January", port, new Dictionary<string, string>
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
            ["ConnectionStrings__redis"] = redis.ConnectionString,
            ["ConnectionStrings__rabbitmq"] = rabbitmq.ConnectionString,
            ["Egress__Allow"] = $"127.0.0.1:{new Uri(pagesUrl).Port}",
            ["January__RateLimit__Enabled"] = "false",
            ["Logging__LogLevel__Default"] = "Warning",
        }, folder.Path);
        await january.StartAsync();
        var januaryUrl = $"http://127.0.0.1:{port}";
        string Embed(string url) => $"{januaryUrl}/embed?url={Uri.EscapeDataString(url)}";

        var miss = 0;
        var results = new[]
        {
            await LoadGenerator.RunAsync("bare fetch of the page", Concurrency, duration,
                async http => (await http.GetAsync($"{pagesUrl}/page")).IsSuccessStatusCode),
            await LoadGenerator.RunAsync("/embed, cache miss (a new page each)", Concurrency, duration,
                async http => (await http.GetAsync(Embed($"{pagesUrl}/page?n={Interlocked.Increment(ref miss)}"))).IsSuccessStatusCode),
            await LoadGenerator.RunAsync("/embed, cache hit", Concurrency, duration,
                async http => (await http.GetAsync(Embed($"{pagesUrl}/page?n=1"))).IsSuccessStatusCode),
        };
        Console.WriteLine($"{Environment.ProcessorCount} cores; {Concurrency} concurrent requests; January with Redis on this machine");
        Console.WriteLine($"{"scenario",-40} {"requests/s",11} {"p50 ms",9} {"p99 ms",9} {"failed",7}");
        foreach (var r in results)
            Console.WriteLine($"{r.Scenario,-40} {r.Throughput,11:F0} {r.P50Milliseconds,9:F2} {r.P99Milliseconds,9:F2} {r.Failures,7}");

        var pid = january.ProcessId ?? throw new InvalidOperationException("January is not running");
        foreach (var (scenario, path) in new (string, Func<int, string>)[]
                 {
                     ("/embed of 20 MB pages", i => "/embed?url=" + Uri.EscapeDataString($"{pagesUrl}/huge?n={i}")),
                     ("/proxy of 20 MB videos", i => "/proxy?url=" + Uri.EscapeDataString($"{pagesUrl}/huge.mp4?n={i}")),
                 })
        {
            var before = ProcessMemory.Of(pid).Resident;
            var peak = before;
            using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(2) };
            var requests = Enumerable.Range(0, 100).Select(async i =>
            {
                using var response = await http.GetAsync(januaryUrl + path(i), HttpCompletionOption.ResponseHeadersRead);
                await using var body = await response.Content.ReadAsStreamAsync();
                await body.CopyToAsync(Stream.Null);
                return response.IsSuccessStatusCode;
            }).ToList();
            var all = Task.WhenAll(requests);
            while (!all.IsCompleted)
            {
                peak = Math.Max(peak, ProcessMemory.Of(pid).Resident);
                await Task.WhenAny(all, Task.Delay(50));
            }
            var ok = (await all).Count(s => s);
            Console.WriteLine($"January's RSS, 100 concurrent {scenario}: {before / 1048576.0:F0} MB before, {peak / 1048576.0:F0} MB at peak ({ok} of 100 answered 200)");
        }
    }

    private static async Task<WebApplication> StartPagesAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapGet("/page", () => Results.Content(Page, "text/html; charset=utf-8"));
        app.MapGet("/huge", context => StreamAsync(context, "text/html", Encoding.UTF8.GetBytes("<html><head><meta property=\"og:title\" content=\"Huge\"></head><body>")));
        app.MapGet("/huge.mp4", context => StreamAsync(context, "video/mp4", Mp4Header()));
        await app.StartAsync();
        return app;
    }

    private static async Task StreamAsync(HttpContext context, string contentType, byte[] head)
    {
        context.Response.ContentType = contentType;
        context.Response.ContentLength = HugeBytes;
        await context.Response.Body.WriteAsync(head);
        var filler = new byte[64 * 1024];
        for (long sent = head.Length; sent < HugeBytes && !context.RequestAborted.IsCancellationRequested; sent += filler.Length)
            await context.Response.Body.WriteAsync(filler.AsMemory(0, (int)Math.Min(filler.Length, HugeBytes - sent)), context.RequestAborted);
    }

    // ftyp, then moov/trak/tkhd (version 0) of a 640×360 video: what January's probe reads.
    private static byte[] Mp4Header()
    {
        static byte[] Box(string type, byte[] body)
        {
            var box = new byte[8 + body.Length];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(box, (uint)box.Length);
            Encoding.ASCII.GetBytes(type).CopyTo(box, 4);
            body.CopyTo(box, 8);
            return box;
        }
        var tkhd = new byte[84];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(tkhd.AsSpan(76), 640u << 16);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(tkhd.AsSpan(80), 360u << 16);
        return [.. Box("ftyp", [.. "isom"u8, 0, 0, 2, 0]), .. Box("moov", Box("trak", Box("tkhd", tkhd)))];
    }
}
