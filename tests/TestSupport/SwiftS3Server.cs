using System.Diagnostics;
using Spokes.AppHost.Hosting;
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

    private static readonly (string Kind, string Package)[] Rings = [("account", "swift-account"), ("container", "swift-container"), ("object", "swift-object")];

    public LocalServer Server { get; private set; } = null!;

    /// <summary>The S3 connection string, in the form the AppHost gives the <c>s3</c> resource.</summary>
    public string ConnectionString => $"Endpoint=http://127.0.0.1:{Server.Resource.GetEndpoint("http").Port};AccessKey={AccessKey};SecretKey={SecretKey}";

    public async Task InitializeAsync() => Server = await LocalServer.StartAsync(AddSwift);

    public async Task DisposeAsync() => await Server.DisposeAsync();

    private static Resource AddSwift(DistributedApplicationBuilder builder)
    {
        var memcached = new ExecutableResource("memcached", "memcached", "memcached")
        {
            Probe = (self, ct) => Probes.TcpAsync(self.GetEndpoint("tcp").Port, ct),
        };
        memcached.Endpoints.Add(new Endpoint("tcp", "tcp", 11211));
        memcached.Arguments.AddRange(["-l", "127.0.0.1", "-p", "{memcached.bindings.tcp.port}", "-U", "0", "-u", Environment.UserName, "-m", "32"]);
        builder.AddResource(memcached);

        var storage = Rings.Select(ring =>
        {
            var server = new ExecutableResource($"swift-{ring.Kind}", $"swift-{ring.Kind}-server", ring.Package)
            {
                Probe = (self, ct) => Probes.TcpAsync(self.GetEndpoint("tcp").Port, ct),
                Prepare = context => WriteStorageConfigAsync(context, ring.Kind),
            };
            server.Endpoints.Add(new Endpoint("tcp", "tcp", 6200));
            server.Arguments.Add(Path.Combine(builder.DataFolder, "etc", $"{ring.Kind}-server.conf"));
            return builder.AddResource(server);
        }).ToList();

        var proxy = new ExecutableResource("swift-proxy", "swift-proxy-server", "swift-proxy")
        {
            Probe = (self, ct) => Probes.HttpAsync($"http://127.0.0.1:{self.GetEndpoint("http").Port}/healthcheck", ct),
            Prepare = WriteProxyConfigAsync,
        };
        proxy.Endpoints.Add(new Endpoint("http", "http", 8080));
        proxy.Arguments.Add(Path.Combine(builder.DataFolder, "etc", "proxy-server.conf"));
        proxy.WaitFor(memcached);
        foreach (var server in storage) proxy.WaitFor(server);
        return builder.AddResource(proxy);
    }

    private static string Common(RunContext context, string resource) => $"""
        [DEFAULT]
        bind_ip = 127.0.0.1
        bind_port = {context.Resources[resource].GetEndpoint(resource == "swift-proxy" ? "http" : "tcp").Port}
        swift_dir = {Path.Combine(context.DataFolder, "etc")}
        devices = {Path.Combine(context.DataFolder, "srv")}
        mount_check = false
        user = {Environment.UserName}
        workers = 0
        log_level = WARNING
        """;

    private static async Task WriteStorageConfigAsync(RunContext context, string kind)
    {
        await EnsureRingsAsync(context);
        await File.WriteAllTextAsync(Path.Combine(context.DataFolder, "etc", $"{kind}-server.conf"), $"""
            {Common(context, "swift-" + kind)}

            [pipeline:main]
            pipeline = {kind}-server

            [app:{kind}-server]
            use = egg:swift#{kind}
            """);
    }

    private static async Task WriteProxyConfigAsync(RunContext context)
    {
        await File.WriteAllTextAsync(Path.Combine(context.DataFolder, "etc", "proxy-server.conf"), $"""
            {Common(context, "swift-proxy")}

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
            memcache_servers = 127.0.0.1:{context.Resources["memcached"].GetEndpoint("tcp").Port}

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
            """);
    }

    private static readonly SemaphoreSlim RingLock = new(1, 1);

    /// <summary>One device per ring, one replica: the smallest cluster Swift accepts.</summary>
    private static async Task EnsureRingsAsync(RunContext context)
    {
        await RingLock.WaitAsync();
        try
        {
            var etc = Path.Combine(context.DataFolder, "etc");
            Directory.CreateDirectory(etc);
            Directory.CreateDirectory(Path.Combine(context.DataFolder, "srv", "d1"));
            foreach (var (kind, _) in Rings)
            {
                var builderFile = Path.Combine(etc, $"{kind}.builder");
                if (File.Exists(Path.Combine(etc, $"{kind}.ring.gz"))) continue;
                var port = context.Resources["swift-" + kind].GetEndpoint("tcp").Port;
                await RunAsync("swift-ring-builder", builderFile, "create", "6", "1", "1");
                await RunAsync("swift-ring-builder", builderFile, "add", $"r1z1-127.0.0.1:{port}/d1", "100");
                await RunAsync("swift-ring-builder", builderFile, "rebalance");
            }
        }
        finally
        {
            RingLock.Release();
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
