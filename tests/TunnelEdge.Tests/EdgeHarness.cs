using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Grpc.Core;
using Grpc.Net.Client;
using Spokes.Contracts.Tunnels.V1;
using Spokes.TestSupport;

namespace Spokes.TunnelEdge.Tests;

/// <summary>
/// A real edge process (its built program, a JSON configuration file, free loopback ports, a data folder of
/// its own), the `spokes` and `spokes-tunnel` programs run as an operator and a user run them, and the
/// edge's admin API for exact figures. Disposing stops every process it started.
/// </summary>
public sealed class EdgeHarness : IAsyncDisposable
{
    public const string Domain = "tunnels.test";

    private readonly TemporaryFolder _folder = new("spokes-edge");
    private readonly ConcurrentQueue<string> _log = new();
    private readonly List<ManagedProcess> _clients = [];
    private readonly Dictionary<string, string> _environment;
    private ManagedProcess? _edge;

    private EdgeHarness(Dictionary<string, object> settings, Dictionary<string, string> environment)
    {
        _environment = environment;
        var port = Ports.FreeRange(20);
        (HttpPort, HttpsPort, TunnelPort, AdminPort, HealthPort, DashboardPort, SshPort) = (Ports.Free(), Ports.Free(), Ports.Free(), Ports.Free(), Ports.Free(), Ports.Free(), Ports.Free());
        PortRangeBegin = port;
        var config = new Dictionary<string, object>
        {
            ["domain"] = Domain,
            ["dataPath"] = Path.Combine(_folder.Path, "data"),
            ["database"] = new { path = "spokes.db" },
            ["portRange"] = new { begin = port, end = port + 19 },
            ["tunOptions"] = new { maxPoolSize = 4, maxPorts = 3, maxConnections = 64 },
            ["listen"] = new { http = $"127.0.0.1:{HttpPort}", https = settings.ContainsKey("acme") ? $"127.0.0.1:{HttpsPort}" : "", tunnel = $"127.0.0.1:{TunnelPort}", admin = $"127.0.0.1:{AdminPort}", dashboard = $"127.0.0.1:{DashboardPort}", tcpAddress = "127.0.0.1", ssh = $"127.0.0.1:{SshPort}" },
            ["flushInterval"] = "00:00:01",
        };
        foreach (var (key, value) in settings) config[key] = value;
        ConfigFile = Path.Combine(_folder.Path, "config.json");
        File.WriteAllText(ConfigFile, JsonSerializer.Serialize(config));
        Admin = new TunnelAdmin.TunnelAdminClient(GrpcChannel.ForAddress($"http://127.0.0.1:{AdminPort}"));
    }

    public int HttpPort { get; }

    /// <summary>Public HTTPS: listened on when the settings configure <c>acme</c>.</summary>
    public int HttpsPort { get; }
    public int TunnelPort { get; }
    public int DashboardPort { get; }
    public int AdminPort { get; }
    public int HealthPort { get; }
    public int SshPort { get; }
    public int PortRangeBegin { get; }
    public string ConfigFile { get; }
    public string Folder => _folder.Path;
    public string Log => string.Join('\n', _log);
    public TunnelAdmin.TunnelAdminClient Admin { get; }

    public string AdminKey => File.ReadAllText(Path.Combine(_folder.Path, "data", "admin.key")).Trim();

    public Metadata AdminHeaders => new() { { "authorization", $"Bearer {AdminKey}" } };

    /// <summary>The SHA-256 pin of the edge's self-signed tunnel certificate.</summary>
    public string Pin => EdgeCertificates.Fingerprint(X509CertificateLoader.LoadPkcs12FromFile(Path.Combine(_folder.Path, "data", "tunnel-certificate.pfx"), null));

    /// <summary>Returns once the edge has logged <paramref name="text"/>.</summary>
    public Task WaitForLogAsync(string text, TimeSpan timeout) =>
        OutputLines.WaitForAsync(_log, _edge ?? throw new InvalidOperationException("The edge is not running."), "The edge", text, timeout);

    /// <summary>The edge's process, for what only the system shows of it (memory).</summary>
    public int EdgeProcessId => _edge?.Id ?? throw new InvalidOperationException("The edge is not running.");

    /// <param name="settings">Keys of the edge's configuration file, over the harness's.</param>
    /// <param name="environment">Variables for the edge's process, beside its service URL.</param>
    public static async Task<EdgeHarness> StartAsync(Dictionary<string, object>? settings = null, Dictionary<string, string>? environment = null)
    {
        var harness = new EdgeHarness(settings ?? [], environment ?? []);
        await harness.StartEdgeAsync();
        return harness;
    }

    /// <summary>A harness whose edge is not started yet (<see cref="StartEdgeAsync"/>): for servers that need its ports first.</summary>
    public static EdgeHarness Create(Dictionary<string, object> settings) => new(settings, []);

    /// <summary>The edge published ahead-of-time, as its image ships, when tests/run.sh runs these tests against it.</summary>
    private static readonly string? NativeEdge = Environment.GetEnvironmentVariable("SPOKES_TEST_EDGE_PROGRAM") is { Length: > 0 } program ? program : null;

    public async Task StartEdgeAsync()
    {
        var spec = new ProcessSpec(NativeEdge ?? "dotnet", NativeEdge is null ? [BuildLayout.ProjectOutput("Spokes.TunnelEdge"), "--config", ConfigFile] : ["--config", ConfigFile])
        {
            Environment = { ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{HealthPort}" },
            WorkingDirectory = _folder.Path,
        };
        foreach (var (name, value) in _environment) spec.Environment[name] = value;
        _edge = ManagedProcess.Start(spec, "tunnel-edge-test", _log.Enqueue);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        for (var attempt = 0; attempt < 300; attempt++)
        {
            if (_edge.HasExited) throw new InvalidOperationException($"The edge exited:\n{Log}");
            try
            {
                if ((await http.GetAsync($"http://127.0.0.1:{HealthPort}/health")).IsSuccessStatusCode) return;
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"The edge did not answer within 30 s:\n{Log}");
    }

    public async Task StopEdgeAsync()
    {
        if (_edge is not null) await _edge.StopAsync(TimeSpan.FromSeconds(10));
    }

    /// <summary>Runs the operator's `spokes` command against this edge (found through its configuration file).</summary>
    public Task<CommandResult> SpokesAsync(params string[] arguments) =>
        RunAsync("spokes", ["--config", ConfigFile, .. arguments]);

    /// <summary>Runs `spokes-tunnel` with a client configuration file of the given name in this harness's folder.</summary>
    public Task<CommandResult> TunnelAsync(string client, params string[] arguments) =>
        RunAsync("spokes-tunnel", [.. arguments, "--config", ClientConfig(client)]);

    public string ClientConfig(string client) => Path.Combine(_folder.Path, client + ".json");

    private static async Task<CommandResult> RunAsync(string assembly, string[] arguments)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(Path.Combine(Path.GetDirectoryName(BuildLayout.ProjectOutput(assembly == "spokes" ? "Spokes.Cli" : "Spokes.TunnelClient"))!, assembly + ".dll"));
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return new CommandResult(process.ExitCode, await output, await error);
    }

    /// <summary>
    /// Registers a client (a registration token, `configure`), adds its routes, and starts it; returns once it
    /// printed that its tunnel is online.
    /// </summary>
    public async Task<TunnelClientProcess> StartClientAsync(string name, string? hostname, Func<string, Task>? routes = null, params string[] startOptions)
    {
        var registration = await Admin.CreateRegistrationAsync(new CreateRegistrationRequest { Description = name }, AdminHeaders);
        string[] configure = ["configure", "--hostname", $"127.0.0.1:{TunnelPort}", "--registration", registration.Token, "--id", name, "--pin", Pin];
        if (hostname is not null) configure = [.. configure, "--tunnel-hostname", hostname];
        (await TunnelAsync(name, configure)).AssertSuccess();
        if (routes is not null) await routes(name);
        return await RunClientAsync(name, startOptions: startOptions);
    }

    /// <summary>`spokes-tunnel start` with an existing configuration, once it is online.</summary>
    public async Task<TunnelClientProcess> RunClientAsync(string name, bool waitOnline = true, params string[] startOptions)
    {
        var lines = new ConcurrentQueue<string>();
        var process = ManagedProcess.Start(new ProcessSpec("dotnet",
            [Path.Combine(Path.GetDirectoryName(BuildLayout.ProjectOutput("Spokes.TunnelClient"))!, "spokes-tunnel.dll"), "start", "--config", ClientConfig(name), .. startOptions])
        {
            WorkingDirectory = _folder.Path,
        }, "tunnel-edge-test", lines.Enqueue);
        _clients.Add(process);
        var client = new TunnelClientProcess(process, lines);
        if (waitOnline) await client.WaitForLineAsync(" online (", TimeSpan.FromSeconds(30));
        return client;
    }

    public async Task<Tunnel> TunnelAsync(long id) =>
        (await Admin.ListTunnelsAsync(new ListTunnelsRequest { All = true }, AdminHeaders)).Tunnels.Single(t => t.Id == id);

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients) await client.StopAsync(TimeSpan.FromSeconds(5));
        await StopEdgeAsync();
        _folder.Dispose();
    }
}

public sealed record CommandResult(int ExitCode, string Output, string Error)
{
    public CommandResult AssertSuccess()
    {
        Assert.True(ExitCode == 0, $"Exit {ExitCode}: {Output}\n{Error}");
        return this;
    }

    /// <summary>The rows of a bordered table: header cells first.</summary>
    public List<string[]> Rows() => Output.Split('\n')
        .Where(l => l.StartsWith('|'))
        .Select(l => l.Trim().Trim('|').Split('|').Select(c => c.Trim()).ToArray())
        .ToList();
}

public sealed class TunnelClientProcess(ManagedProcess process, ConcurrentQueue<string> lines)
{
    public ManagedProcess Process { get; } = process;

    public string Output => string.Join('\n', lines);

    public Task WaitForLineAsync(string text, TimeSpan timeout, int occurrences = 1) =>
        OutputLines.WaitForAsync(lines, Process, "The client", text, timeout, occurrences);

    public Task StopAsync(TimeSpan grace) => Process.StopAsync(grace);
}

/// <summary>What a test process printed, line by line.</summary>
public static class OutputLines
{
    /// <summary>Returns once <paramref name="text"/> was printed <paramref name="occurrences"/> times; throws when the process exits or time runs out first.</summary>
    public static async Task WaitForAsync(ConcurrentQueue<string> lines, ManagedProcess process, string who, string text, TimeSpan timeout, int occurrences = 1)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (lines.Count(l => l.Contains(text, StringComparison.Ordinal)) >= occurrences) return;
            if (process.HasExited) break;
            await Task.Delay(50);
        }
        throw new TimeoutException($"{who} did not print '{text}' ({occurrences}×):\n{string.Join('\n', lines)}");
    }
}

/// <summary>Local services behind the tunnel: an HTTP app and a TCP echo server, on free loopback ports.</summary>
public sealed class LocalServices : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Socket _echo;
    private readonly Task _echoing;

    private LocalServices(WebApplication app, Socket echo)
    {
        _app = app;
        _echo = echo;
        _echoing = EchoAsync();
    }

    public int HttpPort { get; private init; }

    public int EchoPort => ((IPEndPoint)_echo.LocalEndPoint!).Port;

    public static async Task<LocalServices> StartAsync()
    {
        var port = Ports.Free();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = null);
        var app = builder.Build();
        app.UseWebSockets();
        app.MapGet("/", (HttpContext context) => Results.Text($"hello from {context.Request.Host}"));
        app.Map("/ws", async (HttpContext context) =>
        {
            if (!context.WebSockets.IsWebSocketRequest)
            {
                context.Response.StatusCode = StatusCodes.Status400BadRequest;
                return;
            }
            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            var buffer = new byte[4096];
            while (true)
            {
                var received = await socket.ReceiveAsync(buffer, CancellationToken.None);
                if (received.MessageType == System.Net.WebSockets.WebSocketMessageType.Close)
                {
                    await socket.CloseAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
                    return;
                }
                var echo = System.Text.Encoding.UTF8.GetBytes("echo " + System.Text.Encoding.UTF8.GetString(buffer, 0, received.Count));
                await socket.SendAsync(echo, System.Net.WebSockets.WebSocketMessageType.Text, true, CancellationToken.None);
            }
        });
        app.MapGet("/headers", (HttpContext context) => Results.Json(new
        {
            host = context.Request.Host.Value,
            forwardedFor = context.Request.Headers["X-Forwarded-For"].ToString(),
            forwardedProto = context.Request.Headers["X-Forwarded-Proto"].ToString(),
        }));
        app.MapPost("/sha256", async (HttpContext context) =>
        {
            using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
            var buffer = new byte[81920];
            long total = 0;
            int read;
            while ((read = await context.Request.Body.ReadAsync(buffer)) > 0)
            {
                hash.AppendData(buffer, 0, read);
                total += read;
            }
            return Results.Text($"{total} {Convert.ToHexString(hash.GetHashAndReset())}");
        });
        app.MapGet("/bytes/{count:long}", (long count) => Results.Stream(async body =>
        {
            var chunk = Payload(64 * 1024);
            for (long sent = 0; sent < count; sent += chunk.Length) await body.WriteAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, count - sent)));
        }, "application/octet-stream"));
        await app.StartAsync();
        var echo = new Socket(SocketType.Stream, ProtocolType.Tcp);
        echo.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        echo.Listen(128);
        return new LocalServices(app, echo) { HttpPort = port };
    }

    /// <summary>Deterministic bytes (the same for a given length) so what arrives can be compared.</summary>
    public static byte[] Payload(int length)
    {
        var bytes = new byte[length];
        new Random(length).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Sends <paramref name="payload"/> to a port, closes the sending side, and returns everything that comes back.</summary>
    public static async Task<byte[]> EchoThroughAsync(int port, byte[] payload)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, port);
        var sending = Task.Run(async () =>
        {
            await socket.SendAsync(payload);
            socket.Shutdown(SocketShutdown.Send);
        });
        var received = new MemoryStream();
        var buffer = new byte[65536];
        int read;
        while ((read = await socket.ReceiveAsync(buffer)) > 0) received.Write(buffer, 0, read);
        await sending;
        return received.ToArray();
    }

    private async Task EchoAsync()
    {
        while (true)
        {
            Socket client;
            try
            {
                client = await _echo.AcceptAsync();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return;
            }
            _ = Task.Run(async () =>
            {
                using (client)
                {
                    var buffer = new byte[65536];
                    try
                    {
                        int read;
                        while ((read = await client.ReceiveAsync(buffer)) > 0) await client.SendAsync(buffer.AsMemory(0, read));
                        client.Shutdown(SocketShutdown.Send);
                    }
                    catch (SocketException)
                    {
                    }
                }
            });
        }
    }

    public async ValueTask DisposeAsync()
    {
        _echo.Dispose();
        await _echoing;
        await _app.DisposeAsync();
    }
}
