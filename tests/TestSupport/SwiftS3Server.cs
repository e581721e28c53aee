using System.Diagnostics;
using System.Net.Sockets;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Spokes.AppHost.Local;
using Xunit;

namespace Spokes.TestSupport;

/// <summary>
/// OpenStack Swift with its <c>s3api</c> middleware: an independent, real S3 API (signature V4, buckets,
/// presigned URLs) for the S3 provider's tests, since MinIO cannot be installed here. Runs memcached and
/// one account, container, object and proxy server on free loopback ports, all under a temporary folder.
/// </summary>
public sealed class SwiftS3Server : IAsyncLifetime
{
    /// <summary>tempauth's test account: S3 access key <c>test:tester</c>, secret <c>testing</c>.</summary>
    public const string AccessKey = "test:tester";
    public const string SecretKey = "testing";

    private static readonly string[] Rings = ["account", "container", "object"];

    private readonly TemporaryFolder _folder = new("spokes-swift");
    private readonly Dictionary<string, int> _ports = new()
    {
        ["memcached"] = Ports.Free(), ["swift-account"] = Ports.Free(), ["swift-container"] = Ports.Free(),
        ["swift-object"] = Ports.Free(), ["swift-proxy"] = Ports.Free(),
    };
    private readonly List<LocalProgram> _started = [];

    /// <summary>The S3 connection string, in the form the AppHost gives the <c>s3</c> resource.</summary>
    public string ConnectionString => $"Endpoint=http://127.0.0.1:{_ports["swift-proxy"]};AccessKey={AccessKey};SecretKey={SecretKey}";

    private string DataFolder => _folder.Path;

    public async Task InitializeAsync()
    {
        await StartAsync(new LocalProgram("memcached", DataFolder,
            () => new ProcessSpec("memcached", ["-l", "127.0.0.1", "-p", _ports["memcached"].ToString(), "-U", "0", "-u", Environment.UserName, "-m", "32"]),
            cancellationToken => Listening(_ports["memcached"], cancellationToken)));
        await EnsureRingsAsync();
        foreach (var kind in Rings)
        {
            var config = Path.Combine(DataFolder, "etc", $"{kind}-server.conf");
            await File.WriteAllTextAsync(config, StorageConfig(kind));
            await StartAsync(new LocalProgram($"swift-{kind}", DataFolder,
                () => new ProcessSpec($"swift-{kind}-server", [config]) { WorkingDirectory = DataFolder },
                cancellationToken => Listening(_ports[$"swift-{kind}"], cancellationToken)));
        }
        var proxyConfig = Path.Combine(DataFolder, "etc", "proxy-server.conf");
        await File.WriteAllTextAsync(proxyConfig, ProxyConfig());
        await StartAsync(new LocalProgram("swift-proxy", DataFolder,
            () => new ProcessSpec("swift-proxy-server", [proxyConfig]) { WorkingDirectory = DataFolder },
            cancellationToken => ServerProbes.HttpAsync($"http://127.0.0.1:{_ports["swift-proxy"]}/healthcheck", cancellationToken)));
    }

    private async Task StartAsync(LocalProgram program)
    {
        _started.Add(program);
        await program.StartAsync();
    }

    private static async Task<HealthCheckResult> Listening(int port, CancellationToken cancellationToken)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync("127.0.0.1", port, cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (SocketException e)
        {
            return HealthCheckResult.Unhealthy(e.SocketErrorCode.ToString());
        }
    }

    public async Task DisposeAsync()
    {
        // Last started, first stopped: the proxy before the servers it uses.
        for (var i = _started.Count - 1; i >= 0; i--) await _started[i].DisposeAsync();
        _folder.Dispose();
    }

    private string Common(string resource) => $"""
        [DEFAULT]
        bind_ip = 127.0.0.1
        bind_port = {_ports[resource]}
        swift_dir = {Path.Combine(DataFolder, "etc")}
        devices = {Path.Combine(DataFolder, "srv")}
        mount_check = false
        user = {Environment.UserName}
        workers = 0
        log_level = WARNING
        """;

    private string StorageConfig(string kind) => $"""
            {Common("swift-" + kind)}

            [pipeline:main]
            pipeline = {kind}-server

            [app:{kind}-server]
            use = egg:swift#{kind}
            """;

    private string ProxyConfig() => $"""
            {Common("swift-proxy")}

            [pipeline:main]
            pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats s3api tempauth copy slo dlo proxy-logging proxy-server

            [app:proxy-server]
            use = egg:swift#proxy
            account_autocreate = true

            [filter:tempauth]
            use = egg:swift#tempauth
            user_test_tester = {SecretKey} .admin

            [filter:s3api]
            use = egg:swift#s3api
            location = us-east-1

            [filter:cache]
            use = egg:swift#memcache
            memcache_servers = 127.0.0.1:{_ports["memcached"]}

            [filter:catch_errors]
            use = egg:swift#catch_errors

            [filter:gatekeeper]
            use = egg:swift#gatekeeper

            [filter:healthcheck]
            use = egg:swift#healthcheck

            [filter:proxy-logging]
            use = egg:swift#proxy_logging

            [filter:listing_formats]
            use = egg:swift#listing_formats

            [filter:copy]
            use = egg:swift#copy

            [filter:slo]
            use = egg:swift#slo

            [filter:dlo]
            use = egg:swift#dlo
            """;

    /// <summary>One device per ring, one replica: the smallest cluster Swift accepts.</summary>
    private async Task EnsureRingsAsync()
    {
        var etc = Path.Combine(DataFolder, "etc");
        Directory.CreateDirectory(etc);
        Directory.CreateDirectory(Path.Combine(DataFolder, "srv", "d1"));
        foreach (var kind in Rings)
        {
            var builderFile = Path.Combine(etc, $"{kind}.builder");
            await RunAsync("swift-ring-builder", builderFile, "create", "6", "1", "1");
            await RunAsync("swift-ring-builder", builderFile, "add", $"r1z1-127.0.0.1:{_ports["swift-" + kind]}/d1", "100");
            await RunAsync("swift-ring-builder", builderFile, "rebalance");
        }
    }

    private static async Task RunAsync(string program, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(program, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        // rebalance exits 1 when it moved nothing, which is fine for a new ring.
        if (process.ExitCode > 1) throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} failed: {output}");
    }
}
