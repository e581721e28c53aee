using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Spokes.Contracts.Files.V1;
using Spokes.Contracts.Internal;
using Spokes.Contracts.Sessions.V1;
using Spokes.TestSupport;

namespace Spokes.Benchmarks;

/// <summary>
/// Autumn in its own process on the local profile's stores (a folder, SQLite) with a real RabbitMQ: uploads of
/// 1 MB and 20 MB with 1 and 8 clients next to a bare ceiling measured in the same run (a Kestrel endpoint that
/// writes the same multipart body to the same kind of folder, with no processing); the preview of a 12 MP JPEG,
/// cold and cached; Autumn's peak resident memory during eight concurrent 20 MB uploads.
/// </summary>
public static class AutumnBenchmark
{
    private const string Token = "benchmark-token";
    private const string InternalKey = "benchmark-internal-key";
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(8);

    public static Task RunAsync() => Children.WithServersAsync((_, rabbitmq) => RunAsync(rabbitmq));

    private static async Task RunAsync(RabbitMqServer rabbitmq)
    {
        using var data = new TemporaryFolder("spokes-bench-autumn");
        await using var sessions = await StartSessionsAsync();
        var barePort = Ports.Free();
        var bare = Children.Start("Spokes.Benchmarks", ["serve-bare-files", barePort.ToString(), Path.Combine(data.Path, "bare")], [], data.Path);
        var (httpPort, grpcPort) = (Ports.Free(), Ports.Free());
        var autumn = Children.Start("Spokes.Autumn", [], new Dictionary<string, string>
        {
            ["Kestrel__Endpoints__http__Url"] = $"http://127.0.0.1:{httpPort}",
            ["Kestrel__Endpoints__grpc__Url"] = $"http://127.0.0.1:{grpcPort}",
            ["Kestrel__Endpoints__grpc__Protocols"] = "Http2",
            ["ConnectionStrings__rabbitmq"] = rabbitmq.ConnectionString,
            ["ConnectionStrings__s3"] = $"Folder={Path.Combine(data.Path, "files")}",
            ["ConnectionStrings__files-db"] = $"Data Source={Path.Combine(data.Path, "autumn.db")}",
            ["services__api__grpc__0"] = sessions.Urls.Single(),
            ["Internal__Key"] = InternalKey,
            ["Autumn__EncryptionKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["Logging__LogLevel__Default"] = "Warning",
        }, data.Path);
        try
        {
            var autumnUrl = $"http://127.0.0.1:{httpPort}";
            await Children.WaitForAsync($"http://127.0.0.1:{barePort}/");
            await Children.WaitForAsync($"{autumnUrl}/health");

            Console.WriteLine($"{Duration.TotalSeconds:F0} s per upload scenario after 1 s of warm-up, {Environment.ProcessorCount} cores; every upload is new bytes (no dedup)");
            Console.WriteLine($"{"scenario",-40} {"clients",7} {"MB/s",8} {"p50 ms",9} {"p99 ms",9} {"failed",7} {"of ceiling",11}");
            var peak = 0L;
            foreach (var size in new[] { 1_000_000, 20_000_000 })
            {
                foreach (var clients in new[] { 1, 8 })
                {
                    var ceiling = await UploadsAsync($"bare: {size / 1_000_000} MB to a folder", $"http://127.0.0.1:{barePort}", size, clients);
                    using var sampler = clients == 8 && size == 20_000_000 ? new PeakMemory(autumn.Id) : null;
                    var result = await UploadsAsync($"Autumn: {size / 1_000_000} MB attachment", autumnUrl, size, clients);
                    if (sampler is not null) peak = sampler.Peak;
                    Print(ceiling, clients, size, ceiling);
                    Print(result, clients, size, ceiling);
                }
            }
            Console.WriteLine($"Autumn's peak resident memory during 8 concurrent 20 MB uploads: {peak / 1048576.0:F0} MB " +
                              $"(idle after the run: {ProcessMemory.Of(autumn.Id).Resident / 1048576.0:F0} MB)");

            await PreviewsAsync(autumnUrl, $"http://127.0.0.1:{grpcPort}");
        }
        finally
        {
            await Task.WhenAll(autumn.StopAsync(TimeSpan.FromSeconds(10)), bare.StopAsync(TimeSpan.FromSeconds(10)));
        }
    }

    private static void Print(LoadResult result, int clients, int size, LoadResult ceiling)
    {
        var megabytes = result.Throughput * size / 1_000_000;
        Console.WriteLine($"{result.Scenario,-40} {clients,7} {megabytes,8:F1} {result.P50Milliseconds,9:F1} {result.P99Milliseconds,9:F1} {result.Failures,7} " +
                          $"{(ReferenceEquals(result, ceiling) ? "ceiling" : (result.Throughput / ceiling.Throughput).ToString("P1")),11}");
    }

    private static Task<LoadResult> UploadsAsync(string scenario, string url, int size, int clients)
    {
        var template = RandomNumberGenerator.GetBytes(size);
        var counter = 0L;
        return LoadGenerator.RunAsync(scenario, clients, Duration, async http =>
        {
            // New bytes each time, so Autumn stores every upload rather than reusing one object.
            var body = (byte[])template.Clone();
            BinaryPrimitives.WriteInt64LittleEndian(body, Interlocked.Increment(ref counter));
            using var response = await PostFileAsync(http, url, "attachments", body, "bench.bin");
            return response.IsSuccessStatusCode;
        });
    }

    private static async Task<HttpResponseMessage> PostFileAsync(HttpClient http, string url, string tag, byte[] body, string filename)
    {
        var content = new MultipartFormDataContent { { new ByteArrayContent(body), "file", filename } };
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{url}/{tag}") { Content = content };
        request.Headers.Add("X-Session-Token", Token);
        return await http.SendAsync(request);
    }

    /// <summary>Previews of 12 MP JPEGs (4000 × 3000): the first request of each decodes it, the next ones come from the cache.</summary>
    private static async Task PreviewsAsync(string autumnUrl, string grpcUrl)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(2) };
        using var channel = GrpcChannel.ForAddress(grpcUrl);
        var files = new Files.FilesClient(channel.CreateCallInvoker().Intercept(metadata =>
        {
            metadata.Add(InternalCalls.Header, InternalKey);
            return metadata;
        }));
        var cold = new List<double>();
        var cached = new List<double>();
        for (var i = 0; i < 5; i++)
        {
            using var image = NetVips.Image.Gaussnoise(4000, 3000, mean: 128 + i).Cast(NetVips.Enums.BandFormat.Uchar);
            using var colour = image.Bandjoin(image.Flip(NetVips.Enums.Direction.Horizontal), image.Flip(NetVips.Enums.Direction.Vertical));
            var jpeg = colour.JpegsaveBuffer(q: 85);
            using var upload = await PostFileAsync(http, autumnUrl, "attachments", jpeg, "photo.jpg");
            var id = (await upload.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<Uploaded>())!.Id;
            await files.ClaimAsync(new ClaimRequest
            {
                Ids = { id }, Tag = "attachments", UploaderId = "01BENCHMARK", Use = new FileUse { Kind = FileUseKind.Message, Id = "01MESSAGE" + i },
            });
            cold.Add(await TimeGetAsync(http, $"{autumnUrl}/attachments/{id}"));
            for (var j = 0; j < 20; j++) cached.Add(await TimeGetAsync(http, $"{autumnUrl}/attachments/{id}"));
        }
        cold.Sort();
        cached.Sort();
        Console.WriteLine($"Preview of a 12 MP JPEG (1280 px WebP): cold median {cold[cold.Count / 2]:F0} ms (max {cold[^1]:F0}); " +
                          $"cached p50 {cached[cached.Count / 2]:F2} ms, p99 {cached[(int)(cached.Count * 0.99)]:F2} ms");
    }

    private sealed record Uploaded(string Id);

    private static async Task<double> TimeGetAsync(HttpClient http, string url)
    {
        var clock = Stopwatch.StartNew();
        using var response = await http.GetAsync(url);
        await response.EnsureSuccessStatusCode().Content.ReadAsByteArrayAsync();
        return clock.Elapsed.TotalMilliseconds;
    }

    /// <summary>The highest resident memory of a process, sampled every 20 ms while this lives.</summary>
    private sealed class PeakMemory : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _sampling;
        private long _peak;

        public PeakMemory(int pid) => _sampling = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                _peak = Math.Max(_peak, ProcessMemory.Of(pid).Resident);
                await Task.Delay(20);
            }
        });

        public long Peak => _peak;

        public void Dispose()
        {
            _stop.Cancel();
            _sampling.Wait();
            _stop.Dispose();
        }
    }

    /// <summary>The Api's Sessions service as Autumn sees it: one token, one user, behind the internal key.</summary>
    private static async Task<WebApplication> StartSessionsAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        var app = builder.Build();
        app.MapGrpcService<BenchmarkSessions>();
        await app.StartAsync();
        return app;
    }

    private sealed class BenchmarkSessions : Sessions.SessionsBase
    {
        public override Task<AuthenticateReply> Authenticate(AuthenticateRequest request, ServerCallContext context) =>
            request.Token == Token && InternalCalls.IsValid(context.RequestHeaders.GetValue(InternalCalls.Header), InternalKey)
                ? Task.FromResult(new AuthenticateReply { UserId = "01BENCHMARK", SessionId = "01SESSION" })
                : throw new RpcException(new Status(StatusCode.NotFound, "unknown token"));
    }

    /// <summary>The ceiling: the multipart body's bytes written to a file in a folder, nothing else.</summary>
    public static async Task<int> ServeBareAsync(int port, string folder)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, port);
            kestrel.Limits.MaxRequestBodySize = null;
        });
        var app = builder.Build();
        Directory.CreateDirectory(folder);
        app.MapGet("/", () => "bare");
        app.MapPost("/{tag}", async (HttpRequest request) =>
        {
            var form = await request.ReadFormAsync();
            var file = form.Files["file"]!;
            var key = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
            await using (var output = System.IO.File.Create(Path.Combine(folder, key)))
            {
                await file.CopyToAsync(output);
            }
            return Results.Json(new { id = key });
        });
        await app.RunAsync();
        return 0;
    }
}
