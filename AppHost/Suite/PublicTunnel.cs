using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Spokes.AppHost.Local;

namespace Spokes.AppHost.Suite;

/// <summary>
/// <c>--tunnel</c>: a home server without port forwarding. A <c>spokes-tunnel</c> resource connects out to the edge
/// and serves the Gateway (its HTTP and the WebSocket at <c>/ws</c>) under the tunnel's hostname; the suite's
/// public URL is that hostname's. Its health on the dashboard is the tunnel's state as a visitor sees it: healthy
/// while Stoat's discovery document comes back through the edge.
/// </summary>
public static class PublicTunnel
{
    public const string ResourceName = "tunnel";

    private static readonly HttpClient Http = new(new SocketsHttpHandler
    {
        // Names under .localhost are this machine (RFC 6761), whatever the resolver says: an edge on loopback.
        ConnectCallback = async (context, cancellationToken) =>
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                var host = context.DnsEndPoint.Host;
                if (host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase)) await socket.ConnectAsync(IPAddress.Loopback, context.DnsEndPoint.Port, cancellationToken);
                else await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    })
    { Timeout = TimeSpan.FromSeconds(5) };

    /// <summary>
    /// Without <c>--tunnel-hostname</c>, asks the edge which hostname the token owns and where visitors reach it
    /// (<c>spokes-tunnel identify</c>: the token authenticates the question, as it would a connection). Asked before the
    /// suite is built rather than learnt from the running client: every service is configured with the public URL when
    /// it starts, and a wrong token or an unreachable edge stops the start with the edge's reason instead of leaving a
    /// suite at a URL nobody can reach.
    /// </summary>
    public static SpokesOptions WithTunnelHostname(this SpokesOptions options)
    {
        if (options.Tunnel is not { Hostname: null } tunnel) return options;
        var config = WriteClientConfig(options.DataFolder, tunnel, gatewayPort: null);
        var (exitCode, output) = ServiceProjects.RunBuiltProgramForOutputAsync("Spokes.TunnelClient", "spokes-tunnel", ["identify", "--config", config])
            .GetAwaiter().GetResult();
        const string label = "Public URL: ";
        var line = output.Split('\n').FirstOrDefault(l => l.StartsWith(label, StringComparison.Ordinal));
        if (exitCode != 0 || line is null)
        {
            throw new SetupException($"--tunnel {tunnel.Edge}: the edge did not say which hostname the token owns ({output.Trim()}); " +
                                     "check the edge's address, --tunnel-key and --tunnel-pin, or give --tunnel-hostname.", 2);
        }
        return options with { Tunnel = tunnel with { Hostname = TunnelOptions.ParseHostname(line[label.Length..].Trim()) } };
    }

    /// <summary>spokes-tunnel's configuration file: the token is a secret, so only this user may read it.</summary>
    private static string WriteClientConfig(string dataFolder, TunnelOptions tunnel, int? gatewayPort)
    {
        var folder = Path.Combine(dataFolder, ResourceName);
        Directory.CreateDirectory(folder);
        var config = Path.Combine(folder, "client.json");
        var routes = gatewayPort is { } port
            ? new[] { new Dictionary<string, object> { ["domain"] = tunnel.Hostname!.Host, ["destination"] = "127.0.0.1", ["port"] = port } }
            : [];
        PrivateFile.Write(config, JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["version"] = 1,
            ["hostname"] = tunnel.Edge,
            ["key"] = tunnel.Key,
            ["serverKey"] = tunnel.Pin,
            ["https"] = routes,
        }));
        return config;
    }

    public static IResourceBuilder<ProjectResource>? AddPublicTunnel(this SpokesSuite suite, IResourceBuilder<ProjectResource> gateway)
    {
        if (suite.Options.Tunnel is not { } tunnel) return null;
        if (suite.IsPublishing) throw new SetupException("--tunnel publishes a running suite; a deployment has addresses of its own.", 2);
        var config = WriteClientConfig(suite.DataFolder, tunnel, suite.Options.Port);
        var discovery = $"{tunnel.PublicUrl}/.well-known/stoat";
        return suite.Builder.AddProject<Projects.Spokes_TunnelClient>(ResourceName)
            .WithBuiltProgram("spokes-tunnel")
            .WithArgs("start", "--config", config)
            .WaitFor(gateway)
            .WithProbe(cancellationToken => ThroughEdgeAsync(discovery, cancellationToken));
    }

    private static async Task<HealthCheckResult> ThroughEdgeAsync(string url, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await Http.GetAsync(url, cancellationToken);
            return response.IsSuccessStatusCode
                ? HealthCheckResult.Healthy($"online: {url} answers through the edge")
                : HealthCheckResult.Unhealthy($"the edge answers {(int)response.StatusCode} for {url}: the tunnel is not online");
        }
        catch (Exception e) when (e is HttpRequestException || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return HealthCheckResult.Unhealthy($"{url} is not reachable: {(e is TaskCanceledException ? "timed out" : e.Message)}");
        }
    }
}
