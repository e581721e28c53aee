using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Grpc.Core;
using Grpc.Net.Client;
using Spokes.Contracts.Tunnels;
using Spokes.Contracts.Tunnels.V1;
using Spokes.TestSupport;
using Spokes.TunnelClient;

namespace Spokes.Benchmarks;

/// <summary>
/// The tunnel edge and a `spokes-tunnel` client as their own processes, a TCP sink and an HTTP app in this
/// process, on loopback: (a) one bulk TCP stream through an allocated port against the same stream sent to
/// the sink directly (rathole's iperf3 test); (b) HTTP requests/s through the edge by Host against the app
/// directly, same closed-loop generator (rathole's vegeta test, 48 workers); (c) the edge's resident memory
/// at 1000 requests/s (rathole's memory test), and with 100 idle tunnels (each with its pool of data
/// connections). Each for the edge as the AppHost runs it (the JIT) and as its image ships it (published
/// ahead-of-time), where this machine can publish that; then (d) the floor those memory figures stand on here:
/// a relay of nothing but sockets and SslStream (tests/RelayFloor), ahead-of-time, with as many connections.
/// </summary>
public static class TunnelBenchmark
{
    private static readonly TimeSpan StreamDuration = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan HttpDuration = TimeSpan.FromSeconds(5);
    private const int HttpWorkers = 48;
    private const int LoadRate = 1000;
    private static readonly TimeSpan LoadDuration = TimeSpan.FromSeconds(30);
    private const int IdleTunnels = 100;
    private const string Domain = "bench.test";
    /// <summary>How long the edge sits idle before its memory is read: three of its quiet-memory checks.</summary>
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(15);
    /// <summary>The floor relay collects every 5 s: one collection after its last connection.</summary>
    private static readonly TimeSpan FloorSettle = TimeSpan.FromSeconds(6);

    /// <summary>How the edge runs: its build under <c>dotnet</c>, or its ahead-of-time program.</summary>
    private sealed record EdgeBuild(string Name, string? NativeProgram);

    /// <summary>An edge's memory with no tunnel and with the idle tunnels, which held <paramref name="Connections"/> TLS connections.</summary>
    private sealed record IdleMemory(ProcessMemory Empty, ProcessMemory Loaded, int Connections);

    /// <summary>Traffic, then memory (under load, then idle), per build; <paramref name="memoryOnly"/> skips the traffic (`tunnel memory`).</summary>
    public static async Task RunAsync(bool memoryOnly)
    {
        using var data = new TemporaryFolder("spokes-bench-tunnel");
        Console.WriteLine($"Tunnel edge benchmark (loopback, {Environment.ProcessorCount} cores); direct and the tunnel are measured in turns");
        List<EdgeBuild> builds = [new("JIT, as the AppHost runs it", null)];
        if (await Children.PublishAotAsync("services/TunnelEdge", "Spokes.TunnelEdge") is { } program) builds.Add(new("ahead-of-time, as its image ships", program));
        await using var sink = TcpSink.Start();
        if (!memoryOnly) await MeasureRelayReferenceAsync(sink);
        IdleMemory? aot = null;
        foreach (var build in builds)
        {
            Console.WriteLine($"Edge {build.Name}:");
            if (!memoryOnly) await MeasureTrafficAsync(data.Path, build, sink);
            await MeasureMemoryUnderLoadAsync(data.Path, build, sink);
            var idle = await MeasureIdleMemoryAsync(data.Path, build);
            if (build.NativeProgram is not null) aot = idle;
        }
        if (aot is not null) await MeasureFloorAsync(aot);
    }

    /// <summary>
    /// `tunnel transports`: the data plane's two transports on the JIT edge with TLS data connections, in one run:
    /// traffic against direct for each, then rathole's open-loop test three times in a row multiplexed (the
    /// acceptance: no failed request) and once with a data connection per visitor, as before multiplexing.
    /// The machine's load average is printed with each open-loop run: other builds share these two cores.
    /// </summary>
    public static async Task RunTransportsAsync()
    {
        using var data = new TemporaryFolder("spokes-bench-tunnel");
        Console.WriteLine($"Tunnel data plane transports (loopback, {Environment.ProcessorCount} cores, JIT edge, TLS data connections); load average {LoadAverage()}");
        var build = new EdgeBuild("JIT, as the AppHost runs it", null);
        await using var sink = TcpSink.Start();
        foreach (var multiplex in new[] { true, false })
        {
            Console.WriteLine($"{Transport(multiplex)}:");
            await MeasureTrafficAsync(data.Path, build, sink, multiplex, tlsOnly: true);
        }
        for (var run = 1; run <= 3; run++)
        {
            Console.WriteLine($"{Transport(true)}, open-loop run {run} of 3:");
            await MeasureMemoryUnderLoadAsync(data.Path, build, sink, multiplex: true, $"mux{run}");
        }
        Console.WriteLine($"{Transport(false)}, open-loop:");
        await MeasureMemoryUnderLoadAsync(data.Path, build, sink, multiplex: false, "pervisitor");
    }

    private static string Transport(bool multiplex) =>
        multiplex ? "Visitor streams multiplexed over the pool's data connections" : "A data connection per visitor (the previous transport, multiplex: false)";

    /// <summary>The 1, 5 and 15 minute load averages of the machine.</summary>
    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    private static async Task MeasureTrafficAsync(string folder, EdgeBuild build, TcpSink sink, bool multiplex = true, bool tlsOnly = false)
    {
        await using var app = await SmallPage.StartAsync();

        var edge = await StartEdgeAsync(folder, multiplex ? "traffic" : "traffic-pervisitor", build, multiplex);
        try
        {
            var (tcpPort, httpPort) = await PrepareClientAsync(edge, folder, sink.Port, app.Port);
            (string, string[])[] transports = [("TLS 1.3", []), ("plaintext (--plaintext-data)", ["--plaintext-data"])];
            foreach (var (transport, flags) in tlsOnly ? transports[..1] : transports)
            {
                var client = Children.Start("Spokes.TunnelClient", "spokes-tunnel", ["start", "--config", Path.Combine(folder, "client.json"), .. flags],
                    new Dictionary<string, string>(), "bench");
                try
                {
                    await WaitForPortAsync(tcpPort, open: true);
                    Console.WriteLine($"  Data connections: {transport}");
                    await MeasureTrafficAsync(sink, app, edge, tcpPort, httpPort);
                }
                finally
                {
                    await client.StopAsync(TimeSpan.FromSeconds(5));
                }
                await WaitForPortAsync(tcpPort, open: false);
            }
        }
        finally
        {
            await edge.Process.StopAsync(TimeSpan.FromSeconds(10));
        }
    }

    /// <summary>The edge's memory with no tunnel, then with 100 idle tunnels (clients in this process), each once it sat idle for <see cref="Settle"/>.</summary>
    private static async Task<IdleMemory> MeasureIdleMemoryAsync(string folder, EdgeBuild build)
    {
        var idleEdge = await StartEdgeAsync(folder, "idle", build);
        try
        {
            await Task.Delay(Settle);
            var empty = ProcessMemory.Of(idleEdge.Process.Id);
            using var stop = new CancellationTokenSource();
            var online = 0;
            var agents = new List<Task>();
            for (var i = 0; i < IdleTunnels; i++)
            {
                var token = await idleEdge.Admin.CreateTokenAsync(new CreateTokenRequest { Hostname = $"idle{i}" }, idleEdge.Headers);
                var agent = new TunnelAgent(new ClientConfig { Hostname = $"127.0.0.1:{idleEdge.TunnelPort}", Key = token.Token, ServerKey = idleEdge.Pin }, _ => { });
                agent.Online += _ => Interlocked.Increment(ref online);
                agents.Add(agent.RunAsync(stop.Token));
            }
            var clock = Stopwatch.StartNew();
            while (Volatile.Read(ref online) < IdleTunnels && clock.Elapsed < TimeSpan.FromSeconds(60)) await Task.Delay(100);
            await Task.Delay(Settle);
            var loaded = ProcessMemory.Of(idleEdge.Process.Id);
            var connections = SocketTable.EstablishedTo(idleEdge.TunnelPort);
            Console.WriteLine($"  Memory with no tunnel: {empty} (rathole's published ≈ 8 MB resident, frp's ≈ 60 MB)");
            Console.WriteLine($"  Memory with {online} idle tunnels ({connections} TLS connections: a control and the idle pool each): {loaded}, " +
                              $"{(loaded.Resident - empty.Resident) / 1024.0 / IdleTunnels:F0} KB resident per tunnel");
            await stop.CancelAsync();
            await Task.WhenAll(agents);
            return new IdleMemory(empty, loaded, connections);
        }
        finally
        {
            await idleEdge.Process.StopAsync(TimeSpan.FromSeconds(10));
        }
    }

    /// <summary>
    /// rathole's memory test on a fresh edge: HTTP at a fixed 1000 requests/s through a tunnel's TCP port for
    /// 30 s (vegeta <c>-rate 1000 -duration 30s</c>), the edge's resident memory read every second; the peak.
    /// Open-loop load opens a connection whenever all are busy, so the most visitor connections at once are
    /// shown too: each takes a data connection, that is one TLS handshake between client and edge.
    /// </summary>
    private static async Task MeasureMemoryUnderLoadAsync(string folder, EdgeBuild build, TcpSink sink, bool multiplex = true, string name = "load")
    {
        await using var app = await SmallPage.StartAsync();
        var edge = await StartEdgeAsync(folder, name, build, multiplex);
        try
        {
            var (_, httpPort) = await PrepareClientAsync(edge, folder, sink.Port, app.Port);
            var client = Children.Start("Spokes.TunnelClient", "spokes-tunnel", ["start", "--config", Path.Combine(folder, "client.json")], [], "bench");
            try
            {
                await WaitForPortAsync(httpPort, open: true);
                var load = LoadGenerator.RunAtRateAsync("at rate", LoadRate, LoadDuration, http => GetAsync(http, $"http://127.0.0.1:{httpPort}/", null));
                var peak = ProcessMemory.Of(edge.Process.Id);
                var (connections, tunnelConnections) = (0, 0);
                var loadBefore = LoadAverage();
                while (!load.IsCompleted)
                {
                    await Task.WhenAny(load, Task.Delay(TimeSpan.FromSeconds(1)));
                    if (ProcessMemory.Of(edge.Process.Id) is var now && now.Resident > peak.Resident) peak = now;
                    connections = Math.Max(connections, SocketTable.EstablishedTo(httpPort));
                    tunnelConnections = Math.Max(tunnelConnections, SocketTable.EstablishedTo(edge.TunnelPort));
                }
                Console.WriteLine($"  {LoadRate} req/s through a TCP port for {LoadDuration.TotalSeconds:F0} s on a fresh edge: {Describe(await load)}, " +
                                  $"at most {connections} visitor connections and {tunnelConnections} client connections (control and data)");
                Console.WriteLine($"    load average before {loadBefore}, after {LoadAverage()}");
                Console.WriteLine($"    memory, peak: {peak} (rathole's published ≈ 8 MB, frp's ≈ 66 MB, measured alike)");
            }
            finally
            {
                await client.StopAsync(TimeSpan.FromSeconds(5));
            }
        }
        finally
        {
            await edge.Process.StopAsync(TimeSpan.FromSeconds(10));
        }
    }

    /// <summary>
    /// The floor under the edge's memory figures on this machine: tests/RelayFloor, published ahead-of-time like
    /// the edge, holding as many plaintext and as many TLS connections as the edge's idle tunnels did.
    /// </summary>
    private static async Task MeasureFloorAsync(IdleMemory edge)
    {
        if (await Children.PublishAotAsync("tests/RelayFloor", "Spokes.RelayFloor") is not { } program) return;
        Console.WriteLine("Floor: a relay of nothing but sockets and SslStream (no ASP.NET, store or admin API), ahead-of-time, collected every 5 s:");
        ProcessMemory? tlsEmpty = null, tlsLoaded = null;
        foreach (var tls in new[] { false, true })
        {
            var port = Ports.Free();
            var floor = Children.StartNative(program, tls ? [port.ToString(), "--tls"] : [port.ToString()], [], "bench");
            var connections = new List<Stream>();
            try
            {
                await WaitForPortAsync(port, open: true);
                await Task.Delay(FloorSettle);
                var empty = ProcessMemory.Of(floor.Id);
                for (var i = 0; i < edge.Connections; i++) connections.Add(await ConnectToFloorAsync(port, tls));
                await Task.Delay(FloorSettle);
                var loaded = ProcessMemory.Of(floor.Id);
                Console.WriteLine($"  {(tls ? "TLS 1.3" : "plaintext")}: {empty} with no connection; {loaded} with {edge.Connections} connections");
                if (tls) (tlsEmpty, tlsLoaded) = (empty, loaded);
            }
            finally
            {
                foreach (var connection in connections) await connection.DisposeAsync();
                await floor.StopAsync(TimeSpan.FromSeconds(5));
            }
        }
        Console.WriteLine($"  The ahead-of-time edge holds {edge.Empty.Resident / (double)tlsEmpty!.Resident:F1}× the TLS floor with no tunnel " +
                          $"and {edge.Loaded.Resident / (double)tlsLoaded!.Resident:F1}× with its {edge.Connections} connections");
    }

    /// <summary>A connection to the floor relay that has echoed one byte (after the TLS handshake, with <paramref name="tls"/>).</summary>
    private static async Task<Stream> ConnectToFloorAsync(int port, bool tls)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(IPAddress.Loopback, port);
        Stream stream = new NetworkStream(socket, ownsSocket: true);
        if (tls)
        {
            // The floor's certificate is made at its start; only its cost is measured, not its identity.
            var secure = new System.Net.Security.SslStream(stream, false, (_, _, _, _) => true);
            await secure.AuthenticateAsClientAsync("relay-floor");
            stream = secure;
        }
        await stream.WriteAsync(new byte[] { 42 });
        await stream.ReadExactlyAsync(new byte[1]);
        return stream;
    }

    /// <summary>
    /// The same bulk stream through socat (one userspace hop, 128 KiB buffers) when it is installed: what a
    /// plain relay gets on this machine, next to the tunnel's two hops (edge and client).
    /// </summary>
    private static async Task MeasureRelayReferenceAsync(TcpSink sink)
    {
        var socatPath = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, "socat")).FirstOrDefault(File.Exists);
        if (socatPath is null)
        {
            Console.WriteLine("TCP reference: socat is not installed, no one-hop relay figure.");
            return;
        }
        var port = Ports.Free();
        var socat = ManagedProcess.Start(new ProcessSpec(socatPath, ["-b131072", $"TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork", $"TCP:127.0.0.1:{sink.Port}"]),
            "bench", _ => { });
        try
        {
            await WaitForPortAsync(port, open: true);
            var (direct, relayed) = await BestOfThreeAsync(sink, port);
            Console.WriteLine($"TCP reference, socat -b131072 (one hop): direct {Gbits(direct)}, relayed {Gbits(relayed)} = {relayed / direct:P1} of direct");
        }
        finally
        {
            await socat.StopAsync(TimeSpan.FromSeconds(5));
        }
    }

    /// <summary>One bulk stream (rathole's iperf3 test) and 48 HTTP workers (its vegeta test), each against direct.</summary>
    private static async Task MeasureTrafficAsync(TcpSink sink, SmallPage app, Edge edge, int tcpPort, int httpPort)
    {
        var (directTcp, tunnelTcp) = await BestOfThreeAsync(sink, tcpPort);
        Console.WriteLine($"  TCP, one stream, {StreamDuration.TotalSeconds:F0} s, best of 3: direct {Gbits(directTcp)}, through the tunnel {Gbits(tunnelTcp)} " +
                          $"= {tunnelTcp / directTcp:P1} of direct (rathole's published 3.62 Gbit/s, frp's 0.82 Gbit/s)");

        var directHttp = await LoadGenerator.RunAsync("direct", HttpWorkers, HttpDuration, http => GetAsync(http, $"http://127.0.0.1:{app.Port}/", null));
        var byHost = await LoadGenerator.RunAsync("by host", HttpWorkers, HttpDuration, http => GetAsync(http, $"http://127.0.0.1:{edge.HttpPort}/", $"app.{Domain}"));
        var byPort = await LoadGenerator.RunAsync("by port", HttpWorkers, HttpDuration, http => GetAsync(http, $"http://127.0.0.1:{httpPort}/", null));
        Console.WriteLine($"  HTTP, {HttpWorkers} workers, {HttpDuration.TotalSeconds:F0} s: direct {Describe(directHttp)}");
        Console.WriteLine($"    by Host through the edge's HTTP listener: {Describe(byHost)} = {byHost.Throughput / directHttp.Throughput:P1} of direct");
        Console.WriteLine($"    through a TCP port, as rathole measures:  {Describe(byPort)} = {byPort.Throughput / directHttp.Throughput:P1} of direct " +
                          "(rathole's published 6165 req/s, frp's 3897)");
    }

    private static string Describe(LoadResult result) =>
        $"{result.Throughput:F0} req/s (p50 {result.P50Milliseconds:F2} ms, p99 {result.P99Milliseconds:F2} ms, {result.Failures} of {result.Requests} failed)";

    /// <summary>Direct and through <paramref name="port"/> in turns, three times; the best of each.</summary>
    private static async Task<(double Direct, double Through)> BestOfThreeAsync(TcpSink sink, int port)
    {
        var (direct, through) = (0.0, 0.0);
        for (var round = 0; round < 3; round++)
        {
            direct = Math.Max(direct, await sink.MeasureAsync(sink.Port, StreamDuration));
            through = Math.Max(through, await sink.MeasureAsync(port, StreamDuration));
        }
        return (direct, through);
    }

    private sealed record Edge(ManagedProcess Process, int HttpPort, int TunnelPort, TunnelAdmin.TunnelAdminClient Admin, Metadata Headers, string Pin);

    private static async Task<Edge> StartEdgeAsync(string folder, string name, EdgeBuild build, bool multiplex = true)
    {
        var (health, http, tunnel, admin) = (Ports.Free(), Ports.Free(), Ports.Free(), Ports.Free());
        name = $"{name}-{(build.NativeProgram is null ? "jit" : "aot")}";
        var dataPath = Path.Combine(folder, name);
        var rangeBegin = Ports.FreeRange(10);
        var config = Path.Combine(folder, name + ".json");
        await File.WriteAllTextAsync(config, JsonSerializer.Serialize(new
        {
            domain = Domain,
            dataPath,
            portRange = new { begin = rangeBegin, end = rangeBegin + 9 },
            listen = new { http = $"127.0.0.1:{http}", tunnel = $"127.0.0.1:{tunnel}", admin = $"127.0.0.1:{admin}", tcpAddress = "127.0.0.1" },
            tunOptions = new { plaintextData = true, multiplex },
        }));
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{health}",
            ["Logging__LogLevel__Default"] = "Warning",
        };
        var process = build.NativeProgram is { } program
            ? Children.StartNative(program, ["--config", config], environment, "bench")
            : Children.Start("Spokes.TunnelEdge", ["--config", config], environment, "bench");
        await Children.WaitForAsync($"http://127.0.0.1:{health}/health");
        var key = (await File.ReadAllTextAsync(Path.Combine(dataPath, "admin.key"))).Trim();
        using var certificate = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadPkcs12FromFile(Path.Combine(dataPath, "tunnel-certificate.pfx"), null);
        var pin = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(certificate.GetRawCertData()));
        return new Edge(process, http, tunnel, new TunnelAdmin.TunnelAdminClient(GrpcChannel.ForAddress($"http://127.0.0.1:{admin}")),
            new Metadata { { "authorization", $"Bearer {key}" } }, pin);
    }

    /// <summary>
    /// A token, two ports (one to the sink, one to the app) and an HTTP route for the client, written to its
    /// configuration file; returns the ports.
    /// </summary>
    private static async Task<(int Sink, int App)> PrepareClientAsync(Edge edge, string folder, int sinkPort, int appPort)
    {
        var token = await edge.Admin.CreateTokenAsync(new CreateTokenRequest { Hostname = "app" }, edge.Headers);
        var config = new ClientConfig { Hostname = $"127.0.0.1:{edge.TunnelPort}", Key = token.Token, ServerKey = edge.Pin };
        async Task<int> ForwardAsync(int destination)
        {
            var allocated = await EdgeConnection.AskAsync<Allocated>(config.Hostname, config.ServerKey, new Allocate(token.Token), CancellationToken.None);
            config.Ports.Add(new TcpRoute { Port = allocated.Port, Destination = "127.0.0.1", DstPort = destination });
            return allocated.Port;
        }
        var ports = (await ForwardAsync(sinkPort), await ForwardAsync(appPort));
        config.Https.Add(new HttpRoute { Domain = $"app.{Domain}", Destination = "127.0.0.1", Port = appPort });
        config.Save(Path.Combine(folder, "client.json"));
        return ports;
    }

    private static async Task WaitForPortAsync(int port, bool open)
    {
        for (var attempt = 0; attempt < 300; attempt++)
        {
            try
            {
                using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(IPAddress.Loopback, port);
                if (open) return;
            }
            catch (SocketException)
            {
                if (!open) return;
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"Port {port} did not {(open ? "open" : "close")} within 30 s.");
    }

    private static async Task<bool> GetAsync(HttpClient http, string url, string? host)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (host is not null) request.Headers.Host = host;
        using var response = await http.SendAsync(request);
        await response.Content.ReadAsByteArrayAsync();
        return response.IsSuccessStatusCode;
    }

    private static string Gbits(double bytesPerSecond) => $"{bytesPerSecond * 8 / 1e9:F2} Gbit/s";

    /// <summary>Receives and discards; a measurement is one connection's bytes over the time from its first to its last byte.</summary>
    private sealed class TcpSink : IAsyncDisposable
    {
        private readonly Socket _listener;
        private readonly Task _accepting;
        private TaskCompletionSource<double> _result = new(TaskCreationOptions.RunContinuationsAsynchronously);

        private TcpSink(Socket listener)
        {
            _listener = listener;
            _accepting = AcceptAsync();
        }

        public int Port => ((IPEndPoint)_listener.LocalEndPoint!).Port;

        public static TcpSink Start()
        {
            var listener = new Socket(SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            listener.Listen(16);
            return new TcpSink(listener);
        }

        private async Task AcceptAsync()
        {
            var buffer = new byte[256 * 1024];
            while (true)
            {
                Socket connection;
                try
                {
                    connection = await _listener.AcceptAsync();
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    return;
                }
                using (connection)
                {
                    long total = 0;
                    var first = 0L;
                    int read;
                    while ((read = await connection.ReceiveAsync(buffer)) > 0)
                    {
                        if (total == 0) first = Stopwatch.GetTimestamp();
                        total += read;
                    }
                    // Connections that only probe a port (no bytes) are not measurements.
                    if (total > 0) _result.TrySetResult(total / Stopwatch.GetElapsedTime(first).TotalSeconds);
                }
            }
        }

        /// <summary>Sends as fast as one connection to <paramref name="port"/> takes for <paramref name="duration"/>; returns bytes/s received.</summary>
        public async Task<double> MeasureAsync(int port, TimeSpan duration)
        {
            _result = new TaskCompletionSource<double>(TaskCreationOptions.RunContinuationsAsynchronously);
            using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync(IPAddress.Loopback, port);
            var chunk = new byte[128 * 1024];
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < duration) await socket.SendAsync(chunk);
            socket.Shutdown(SocketShutdown.Send);
            return await _result.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }

        public async ValueTask DisposeAsync()
        {
            _listener.Dispose();
            await _accepting;
        }
    }

    /// <summary>The HTTP app behind the tunnel: one small page, as nginx's default page in rathole's test.</summary>
    private sealed class SmallPage(WebApplication app, int port) : IAsyncDisposable
    {
        private static readonly string Page = "<!DOCTYPE html><title>Welcome</title>" + new string('x', 550);

        public int Port { get; } = port;

        public static async Task<SmallPage> StartAsync()
        {
            var port = Ports.Free();
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
            var app = builder.Build();
            app.MapGet("/", () => Results.Content(Page, "text/html"));
            await app.StartAsync();
            return new SmallPage(app, port);
        }

        public ValueTask DisposeAsync() => app.DisposeAsync();
    }
}
