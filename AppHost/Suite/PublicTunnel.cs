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

    public static IResourceBuilder<ProjectResource>? AddPublicTunnel(this SpokesSuite suite, IResourceBuilder<ProjectResource> gateway)
    {
        if (suite.Options.Tunnel is not { } tunnel) return null;
        if (suite.IsPublishing) throw new SetupException("--tunnel publishes a running suite; a deployment has addresses of its own.", 2);
        var config = Path.Combine(suite.ResourceFolder(ResourceName), "client.json");
        // spokes-tunnel's configuration file: the token is a secret, so only this user may read it.
        PrivateFile.Write(config, JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["version"] = 1,
            ["hostname"] = tunnel.Edge,
            ["key"] = tunnel.Key,
            ["serverKey"] = tunnel.Pin,
            ["https"] = new[] { new Dictionary<string, object> { ["domain"] = tunnel.Hostname!.Host, ["destination"] = "127.0.0.1", ["port"] = suite.Options.Port } },
        }));
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
