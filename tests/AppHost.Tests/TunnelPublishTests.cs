using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Spokes.TestSupport;

namespace Spokes.AppHost.Tests;

public partial class SystemTests
{
    /// <summary>
    /// `--tunnel`: a suite with no port of its own reachable publishes itself through an edge (a separate edge
    /// program, as on a VPS). Stoat's client library, given only the public hostname on the edge, signs up,
    /// connects to /ws and sends a message that comes back over the WebSocket; the tunnel resource turns healthy.
    /// Without --tunnel-hostname the suite asks the edge for the token's hostname and public URL before it starts.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_suite_started_with_tunnel_is_used_by_stoat_js_through_the_edges_hostname(bool givenHostname)
    {
        using var edgeFolder = new TemporaryFolder("spokes-edge");
        await using var edge = await StandaloneEdge.StartAsync(edgeFolder.Path);
        var token = (await RunToolAsync("spokes", "token", "create", "--hostname", "chat", "--url", $"http://127.0.0.1:{edge.AdminPort}", "--key", edge.AdminKey))
            .Split('\n').First(l => l.StartsWith("| 1 ")).Split('|')[2].Trim();
        var publicUrl = $"http://chat.tunnels.localhost:{edge.HttpPort}";

        using var data = new TemporaryFolder("spokes-system");
        await using var suite = await StartTunnelledSuiteAsync(data.Path, edge, token, givenHostname ? publicUrl : null);
        Assert.Equal(publicUrl, suite.App.Services.GetRequiredService<Spokes.AppHost.Suite.SpokesSuite>().PublicUrl);
        await suite.App.ResourceNotifications.WaitForResourceHealthyAsync("tunnel").WaitAsync(TimeSpan.FromSeconds(30));

        using var script = ConformanceScripts.Start("stoat.js", "tunnel-chat.mjs", publicUrl);
        var output = script.StandardOutput.ReadToEndAsync();
        var error = script.StandardError.ReadToEndAsync();
        await script.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(90));
        Assert.True(script.ExitCode == 0, $"tunnel-chat.mjs exited {script.ExitCode}:\n{await output}\n{await error}");
        Assert.StartsWith("delivered ", await output);
    }

    /// <summary>The suite as a home server behind NAT starts it: published on the edge, nothing else changed.</summary>
    private static Task<TestSuite> StartTunnelledSuiteAsync(string dataFolder, StandaloneEdge edge, string token, string? publicUrl) =>
        TestSuite.StartAsync(dataFolder, ["--tunnel", $"127.0.0.1:{edge.TunnelPort}", "--tunnel-key", token, "--tunnel-pin", edge.Pin,
            .. publicUrl is null ? Array.Empty<string>() : ["--tunnel-hostname", publicUrl]]);

    /// <summary>A tunnel edge program of its own (domain tunnels.localhost) on free loopback ports.</summary>
    private sealed class StandaloneEdge : IAsyncDisposable
    {
        private readonly ManagedProcess _process;

        private StandaloneEdge(ManagedProcess process, string data, int httpPort, int tunnelPort, int adminPort)
        {
            _process = process;
            (HttpPort, TunnelPort, AdminPort) = (httpPort, tunnelPort, adminPort);
            AdminKey = File.ReadAllText(Path.Combine(data, "admin.key")).Trim();
            using var certificate = X509CertificateLoader.LoadPkcs12FromFile(Path.Combine(data, "tunnel-certificate.pfx"), null);
            Pin = Convert.ToHexString(SHA256.HashData(certificate.GetRawCertData()));
        }

        public int HttpPort { get; }
        public int TunnelPort { get; }
        public int AdminPort { get; }
        public string AdminKey { get; }
        public string Pin { get; }

        public static async Task<StandaloneEdge> StartAsync(string folder)
        {
            var (httpPort, tunnelPort, adminPort, healthPort, rangeBegin) = (Ports.Free(), Ports.Free(), Ports.Free(), Ports.Free(), Ports.FreeRange(5));
            var data = Path.Combine(folder, "data");
            var config = Path.Combine(folder, "config.json");
            File.WriteAllText(config, JsonSerializer.Serialize(new
            {
                domain = "tunnels.localhost",
                dataPath = data,
                portRange = new { begin = rangeBegin, end = rangeBegin + 4 },
                listen = new { http = $"127.0.0.1:{httpPort}", https = "", tunnel = $"127.0.0.1:{tunnelPort}", admin = $"127.0.0.1:{adminPort}", tcpAddress = "127.0.0.1" },
            }));
            var lines = new System.Collections.Concurrent.ConcurrentQueue<string>();
            var process = ManagedProcess.Start(new ProcessSpec("dotnet", [BuildLayout.ProjectOutput("Spokes.TunnelEdge"), "--config", config])
            {
                Environment = { ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{healthPort}" },
                WorkingDirectory = folder,
            }, folder, lines.Enqueue);
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < TimeSpan.FromSeconds(30))
            {
                Assert.False(process.HasExited, $"The edge exited:\n{string.Join('\n', lines)}");
                try
                {
                    if ((await http.GetAsync($"http://127.0.0.1:{healthPort}/health")).IsSuccessStatusCode)
                        return new StandaloneEdge(process, data, httpPort, tunnelPort, adminPort);
                }
                catch (HttpRequestException)
                {
                }
                await Task.Delay(100);
            }
            await process.StopAsync(TimeSpan.FromSeconds(5));
            throw new TimeoutException($"The edge did not answer within 30 s:\n{string.Join('\n', lines)}");
        }

        public async ValueTask DisposeAsync() => await _process.StopAsync(TimeSpan.FromSeconds(10));
    }
}
