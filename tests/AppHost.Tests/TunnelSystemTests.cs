using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Aspire.Hosting.Testing;
using Spokes.TestSupport;

namespace Spokes.AppHost.Tests;

public partial class SystemTests
{
    /// <summary>
    /// The suite's own tunnel edge publishes the suite's Gateway: an operator makes a registration token with
    /// `spokes`, a user registers `spokes-tunnel`, routes a hostname to the Gateway and starts it, and a visitor
    /// fetches Stoat's discovery document through the edge by that hostname.
    /// </summary>
    [Fact]
    public async Task The_tunnel_edge_publishes_the_gateway_by_hostname()
    {
        var suite = await shared.GetAsync();
        // The client's settings in a folder of its own; its process is the suite's, checked to be gone with it.
        using var client = new TemporaryFolder("spokes-tunnel-client");
        var (publicPort, tunnelPort, adminPort) = (suite.App.GetEndpoint("tunnel-edge", "public").Port,
            suite.App.GetEndpoint("tunnel-edge", "tunnel").Port, suite.App.GetEndpoint("tunnel-edge", "admin").Port);
        var edgeData = Path.Combine(suite.DataFolder, "tunnel-edge");
        var adminKey = File.ReadAllText(Path.Combine(edgeData, "admin.key")).Trim();
        using var certificate = X509CertificateLoader.LoadPkcs12FromFile(Path.Combine(edgeData, "tunnel-certificate.pfx"), null);
        var pin = Convert.ToHexString(SHA256.HashData(certificate.GetRawCertData()));

        var registration = await RunToolAsync("spokes", "registration", "create", "--description", "system test", "--url", $"http://127.0.0.1:{adminPort}", "--key", adminKey);
        var token = registration.Split('\n').First(l => l.StartsWith("| 1 ")).Split('|')[2].Trim();
        var clientConfig = Path.Combine(client.Path, "client.json");
        await RunToolAsync("spokes-tunnel", "configure", "--hostname", $"127.0.0.1:{tunnelPort}", "--registration", token, "--tunnel-hostname", "stoat",
            "--pin", pin, "--config", clientConfig);
        var gatewayPort = suite.Gateway.BaseAddress!.Port;
        await RunToolAsync("spokes-tunnel", "tunnel", "http", "add", "--domain", "stoat.tunnels.localhost", "--http", gatewayPort.ToString(), "--config", clientConfig);

        var lines = new ConcurrentQueue<string>();
        var tunnel = ManagedProcess.Start(new ProcessSpec("dotnet", [ToolPath("spokes-tunnel"), "start", "--config", clientConfig]), suite.DataFolder, lines.Enqueue);
        try
        {
            var clock = Stopwatch.StartNew();
            while (!lines.Any(l => l.Contains(" online (")) && clock.Elapsed < TimeSpan.FromSeconds(30) && !tunnel.HasExited) await Task.Delay(100);
            Assert.True(lines.Any(l => l.Contains(" online (")), string.Join('\n', lines));

            using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{publicPort}/.well-known/stoat");
            request.Headers.Host = "stoat.tunnels.localhost";
            using var response = await suite.Gateway.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var discovery = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal($"http://localhost:{gatewayPort}/api", discovery.GetProperty("api").GetString());
        }
        finally
        {
            await tunnel.StopAsync(TimeSpan.FromSeconds(5));
        }
    }

    private static string ToolPath(string assembly) =>
        Path.Combine(Path.GetDirectoryName(BuildLayout.ProjectOutput(assembly == "spokes" ? "Spokes.Cli" : "Spokes.TunnelClient"))!, assembly + ".dll");

    private static async Task<string> RunToolAsync(string assembly, params string[] arguments)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(ToolPath(assembly));
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(process.ExitCode == 0, $"{assembly} {string.Join(' ', arguments)} exited {process.ExitCode}: {await output}{await error}");
        return await output;
    }
}
