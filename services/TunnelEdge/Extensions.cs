using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Spokes.TunnelEdge.Acme;
using Spokes.TunnelEdge.Access;
using Spokes.TunnelEdge.Admin;
using Spokes.TunnelEdge.Dashboard;
using Spokes.TunnelEdge.Public;
using Spokes.TunnelEdge.Ssh;
using Spokes.TunnelEdge.Store;
using Spokes.TunnelEdge.Tunnels;

namespace Spokes.TunnelEdge;

public static class Extensions
{
    /// <summary>
    /// Reads the edge's JSON file (Packetriot's keys at its top level) into the <c>TunnelEdge</c> section, under
    /// environment variables and the command line so that those still win.
    /// </summary>
    public static void AddEdgeConfigFile(this WebApplicationBuilder builder, string[] args)
    {
        var index = Array.IndexOf(args, "--config");
        var path = index >= 0 && index + 1 < args.Length ? args[index + 1]
            : Environment.GetEnvironmentVariable("SPOKES_EDGE_CONFIG") is { Length: > 0 } fromEnvironment ? fromEnvironment
            : File.Exists(EdgeOptions.DefaultConfigFile) ? EdgeOptions.DefaultConfigFile
            : null;
        if (path is null) return;
        if (!File.Exists(path)) throw new FileNotFoundException($"TunnelEdge: the configuration file {path} does not exist.", path);
        var file = new ConfigurationBuilder().AddJsonFile(Path.GetFullPath(path), optional: false).Build();
        var settings = file.AsEnumerable().Where(pair => pair.Value is not null)
            .Select(pair => new KeyValuePair<string, string?>($"{EdgeOptions.Section}:{pair.Key}", pair.Value));
        var sources = ((IConfigurationBuilder)builder.Configuration).Sources;
        var environment = sources.ToList().FindIndex(s => s is Microsoft.Extensions.Configuration.EnvironmentVariables.EnvironmentVariablesConfigurationSource);
        sources.Insert(environment < 0 ? sources.Count : environment,
            new Microsoft.Extensions.Configuration.Memory.MemoryConfigurationSource { InitialData = settings });
    }

    public static async Task<EdgeOptions> AddTunnelEdgeAsync(this WebApplicationBuilder builder)
    {
        var options = new EdgeOptions();
        builder.Configuration.GetSection(EdgeOptions.Section).Bind(options);
        options.Domain = Hostnames.Normalize(options.Domain);
        options.Validate();
        Directory.CreateDirectory(options.DataPath);

        var store = await EdgeStore.OpenAsync(options.DatabaseFile, TimeProvider.System);
        // Nothing is online before this process accepted a client: state a crash left behind is wrong.
        await store.MarkAllOfflineAsync();

        var certificates = new EdgeCertificates(options);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(store);
        builder.Services.AddSingleton(await AccessStore.OpenAsync(options.DatabaseFile));
        builder.Services.AddSingleton(certificates);
        // Made (and written to dataPath) now, so the `spokes` command line finds it before the first admin call.
        builder.Services.AddSingleton(new AdminKey(options));
        builder.Services.AddSingleton<TunnelRegistry>();
        builder.Services.AddSingleton<TrafficMeter>();
        builder.Services.AddHostedService(s => s.GetRequiredService<TrafficMeter>());
        builder.Services.AddSingleton<Housekeeping>();
        builder.Services.AddHostedService(s => s.GetRequiredService<Housekeeping>());
        builder.Services.AddHostedService<TunnelListener>();
        if (!string.IsNullOrEmpty(options.Listen.Ssh)) builder.Services.AddHostedService<SshFrontDoor>();
        builder.Services.AddHostedService<QuietMemoryTrim>();
        builder.Services.AddSingleton<AcmeChallenges>();
        if (options.Acme.Enabled)
        {
            builder.Services.AddSingleton<AcmeService>();
            builder.Services.AddHostedService(s => s.GetRequiredService<AcmeService>());
        }
        builder.Services.AddSingleton(s => new PublicTls(certificates, s.GetRequiredService<AcmeChallenges>(), s.GetService<AcmeService>()));
        builder.Services.AddHttpForwarder();
        builder.Services.AddGrpc(grpc => grpc.Interceptors.Add<AdminKeyInterceptor>());
        // Request lines carry localtunnel clients' tokens (/localtunnel/TOKEN/): tokens are never logged.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.Warning);
        // Kestrel takes the service's URLs from here, with the edge's listeners; left set, Kestrel would warn that they are overridden.
        var serviceEndPoints = ServiceEndPoints(builder.Configuration).ToList();
        builder.Configuration[WebHostDefaults.ServerUrlsKey] = "";
        builder.Configuration[WebHostDefaults.HttpPortsKey] = "";
        builder.WebHost.ConfigureKestrel(kestrel => ConfigureListeners(kestrel, options, certificates, serviceEndPoints));
        return options;
    }

    /// <summary>
    /// The service's own URLs (health; ASPNETCORE_URLS or HTTP_PORTS) and the edge's listeners: public HTTP,
    /// public HTTPS (certificate by SNI) and the admin API (HTTP/2). Kestrel's limits guard the public ones.
    /// </summary>
    private static void ConfigureListeners(KestrelServerOptions kestrel, EdgeOptions options, EdgeCertificates certificates, IEnumerable<IPEndPoint> serviceEndPoints)
    {
        kestrel.AddServerHeader = false;
        kestrel.Limits.MaxRequestHeadersTotalSize = options.Limits.MaxRequestHeadersTotalSize;
        kestrel.Limits.MaxRequestLineSize = options.Limits.MaxRequestLineSize;
        kestrel.Limits.RequestHeadersTimeout = options.Limits.RequestHeadersTimeout;
        kestrel.Limits.MinRequestBodyDataRate = new MinDataRate(options.Limits.MinRequestBodyBytesPerSecond, TimeSpan.FromSeconds(5));
        kestrel.Limits.MaxRequestBodySize = null;

        foreach (var endPoint in serviceEndPoints) kestrel.Listen(endPoint);
        if (Listening(options.Listen.Http) is { } http) kestrel.Listen(http);
        if (Listening(options.Listen.Https) is { } https)
        {
            kestrel.Listen(https, listen => kestrel.ApplicationServices.GetRequiredService<PublicTls>().Configure(listen));
        }
        if (Listening(options.Listen.Admin) is { } admin) kestrel.Listen(admin, listen => listen.Protocols = HttpProtocols.Http2);
        if (Listening(options.Listen.Dashboard) is { } dashboard) kestrel.Listen(dashboard);
    }

    private static IPEndPoint? Listening(string address) =>
        !string.IsNullOrEmpty(address) && EdgeOptions.TryParseEndPoint(address, out var endPoint) ? endPoint : null;

    private static IEnumerable<IPEndPoint> ServiceEndPoints(IConfiguration configuration)
    {
        if (configuration["urls"] is { Length: > 0 } urls)
        {
            foreach (var url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var authority = url[(url.IndexOf("://", StringComparison.Ordinal) + 3)..].TrimEnd('/');
                if (EdgeOptions.TryParseEndPoint(authority, out var endPoint)) yield return endPoint;
            }
        }
        else if (configuration["HTTP_PORTS"] is { Length: > 0 } ports)
        {
            foreach (var port in ports.Split(';', ',')) yield return new IPEndPoint(IPAddress.Any, int.Parse(port));
        }
    }

    public static void MapTunnelEdge(this WebApplication app, EdgeOptions options)
    {
        var publicPorts = new[] { options.Listen.Http, options.Listen.Https }
            .Select(Listening).OfType<IPEndPoint>().Select(e => e.Port).ToHashSet();
        app.MapWhen(context => publicPorts.Contains(context.Connection.LocalPort), edge =>
        {
            edge.Use(AcmeHttpChallenge.HandleAsync);
            edge.Run(PublicHttp.HandleAsync);
        });
        if (Listening(options.Listen.Dashboard) is { } dashboard)
            app.MapWhen(context => context.Connection.LocalPort == dashboard.Port, page => page.Run(EdgeDashboard.HandleAsync));
        if (Listening(options.Listen.Admin) is { } admin) app.MapGrpcService<AdminGrpc>().RequireHost($"*:{admin.Port}");
    }
}
