using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Spokes.AppHost.Hosting;

/// <summary>Starting one resource and waiting for its health; used by the orchestrator and by test fixtures.</summary>
public static class ResourceRunner
{
    /// <summary>Gives every endpoint without a fixed port a free loopback port; fixed ports must be free.</summary>
    public static void AllocatePorts(IEnumerable<Resource> resources)
    {
        foreach (var endpoint in resources.SelectMany(r => r.Endpoints))
        {
            if (endpoint.Port == 0)
            {
                endpoint.Port = FreePort();
            }
            else if (!IsFree(endpoint.Port))
            {
                throw new StartFailedException(endpoint.External
                    ? $"Port {endpoint.Port} is already in use on 127.0.0.1: stop what uses it or choose another with --port."
                    : $"Port {endpoint.Port} is already in use on 127.0.0.1; it is needed by {endpoint.Name}.");
            }
        }
    }

    /// <summary>Starts <paramref name="resource"/> and probes it until healthy, exited, or its start timeout.</summary>
    public static async Task<HealthResult> StartAsync(Resource resource, RunContext context, CancellationToken cancellationToken)
    {
        resource.SetState(ResourceState.Starting);
        var clock = Stopwatch.StartNew();
        await resource.StartAsync(context, cancellationToken);
        resource.SetState(ResourceState.Running, "starting");

        var result = HealthResult.Fail("not probed yet");
        while (clock.Elapsed < resource.StartTimeout)
        {
            result = await resource.ProbeAsync(context, cancellationToken);
            resource.SetState(ResourceState.Running, result.Description);
            if (result.Healthy || resource.HasExited) break;
            await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken);
        }
        resource.SetState(result.Healthy ? ResourceState.Healthy : ResourceState.Failed, result.Description);
        return result;
    }

    /// <summary>
    /// A free loopback port below the kernel's ephemeral range: a port is handed out seconds before its server
    /// binds it, and one from the ephemeral range could meanwhile become the local end of an outgoing connection.
    /// </summary>
    public static int FreePort()
    {
        var ephemeralStart = EphemeralRangeStart();
        if (ephemeralStart > LowestPort + 1000)
        {
            for (var attempt = 0; attempt < 100; attempt++)
            {
                var port = Random.Shared.Next(LowestPort, ephemeralStart);
                if (IsFree(port)) return port;
            }
        }
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private const int LowestPort = 10000;

    private static int EphemeralRangeStart()
    {
        try
        {
            var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
            return int.Parse(range[0], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return 0;
        }
    }

    public static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
