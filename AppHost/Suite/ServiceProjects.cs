using System.Reflection;
using Spokes.AppHost.Kubernetes;
using Spokes.AppHost.Local;

namespace Spokes.AppHost.Suite;

/// <summary>What every Spokes service gets from the AppHost, and the endpoints some have besides HTTP.</summary>
public static class ServiceProjects
{
    /// <summary>Deployed, a service listens on these ports in its container (running here, on free loopback ports).</summary>
    public const int HttpTargetPort = 8080;
    public const int GrpcTargetPort = 8081;

    /// <summary>ServiceDefaults' <c>ForwardedHeaders:TrustedProxies</c>: whose X-Forwarded-For a service believes.</summary>
    public const string TrustedProxiesVariable = "ForwardedHeaders__TrustedProxies";

    private static readonly string ArtifactsBin = typeof(ServiceProjects).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "ArtifactsBin").Value!;

    private static readonly string Configuration = typeof(ServiceProjects).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "BuildConfiguration").Value!.ToLowerInvariant();

    /// <summary>
    /// Its HTTP endpoint, which is also what Aspire probes (<c>/health</c>: ready to take traffic). Running, the
    /// endpoint is the service's own loopback port, not one of DCP's proxies: a proxy would add a hop to every
    /// request between services. And the service runs as its built program, not under <c>dotnet run</c>, whose
    /// host would stay beside it for nothing (≈ 75 MB each).
    /// </summary>
    /// <param name="replicas">
    /// Running here, that many processes behind DCP's proxy: replicas cannot share one port, so each gets its own and
    /// the proxy spreads connections over them. Null: one process on its own port, no proxy.
    /// </param>
    public static IResourceBuilder<ProjectResource> WithServiceDefaults(this IResourceBuilder<ProjectResource> project, SpokesSuite suite, int? port = null,
        int? replicas = null)
    {
        if (suite.ClusterNetwork is { } clusterNetwork)
        {
            project.WithHttpEndpoint(name: "http", targetPort: HttpTargetPort)
                .WithEnvironment(TrustedProxiesVariable, clusterNetwork);
        }
        else if (replicas is { } count)
        {
            project.WithHttpEndpoint(name: "http", port: port).WithReplicas(count);
            RunBuiltProgram(project);
        }
        else
        {
            project.WithHttpEndpoint(name: "http", port: port, targetPort: port, isProxied: false);
            RunBuiltProgram(project);
        }
        // The services read ConnectionStrings__NAME and services__NAME__ENDPOINT__0; Aspire's other forms of a reference
        // (REDIS_HOST, REDIS_PASSWORD, REDIS_URI …) would only repeat each secret in more variables.
        project.WithReferenceEnvironment(ReferenceEnvironmentInjectionFlags.ConnectionString | ReferenceEnvironmentInjectionFlags.ServiceDiscovery);
        var http = project.GetEndpoint("http");
        return project.WithProbe(cancellationToken => ServerProbes.HttpAsync($"{http.Url}/health", cancellationToken));
    }

    /// <summary>
    /// A second endpoint for gRPC, named <c>grpc</c>: cleartext HTTP/2 needs a port of its own, as Kestrel speaks it
    /// only with prior knowledge. Kestrel's endpoints are then named in its settings (Aspire would put both into
    /// ASPNETCORE_URLS, where no protocol can be given); callers find it as <c>services__NAME__grpc__0</c>.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithGrpcEndpoint(this IResourceBuilder<ProjectResource> project, SpokesSuite suite)
    {
        // Replicas share the proxy's port, each behind it on one of its own.
        var replicated = project.Resource.TryGetLastAnnotation<ReplicaAnnotation>(out _);
        project.WithEndpoint(name: "grpc", scheme: "http", targetPort: suite.IsPublishing ? GrpcTargetPort : null,
                isProxied: suite.IsPublishing || replicated ? null : false)
            .WithEndpoint("grpc", endpoint => endpoint.Transport = "http2")
            .WithEndpointsInEnvironment(_ => false);
        var host = suite.IsPublishing ? "*" : "localhost";
        foreach (var (endpoint, protocols) in new[] { ("http", "Http1AndHttp2"), ("grpc", "Http2") })
        {
            var target = project.GetEndpoint(endpoint).Property(EndpointProperty.TargetPort);
            project.WithEnvironment($"Kestrel__Endpoints__{endpoint}__Url", ReferenceExpression.Create($"http://{host}:{target}"))
                .WithEnvironment($"Kestrel__Endpoints__{endpoint}__Protocols", protocols);
        }
        return project;
    }

    /// <summary>A port the service opens by itself (told of it in its own settings), e.g. the tunnel edge's listeners.</summary>
    public static IResourceBuilder<ProjectResource> WithTcpEndpoint(this IResourceBuilder<ProjectResource> project, SpokesSuite suite, string name, int targetPort) =>
        project.WithEndpoint(name: name, scheme: "tcp", targetPort: suite.IsPublishing ? targetPort : null, isProxied: suite.IsPublishing ? null : false);

    /// <summary>
    /// An address for a listener of the service's own: running, loopback on its allocated port; deployed, every
    /// interface of its container on the target port.
    /// </summary>
    public static ReferenceExpression ListenAddress(this IResourceBuilder<ProjectResource> project, SpokesSuite suite, string endpoint) =>
        suite.IsPublishing
            ? ReferenceExpression.Create($"*:{project.GetEndpoint(endpoint).Property(EndpointProperty.TargetPort)}")
            : ReferenceExpression.Create($"127.0.0.1:{project.GetEndpoint(endpoint).Property(EndpointProperty.TargetPort)}");

    /// <summary>Deployed, a volume keeps the service's files (a StatefulSet); running, they are under the data folder.</summary>
    public static IResourceBuilder<ProjectResource> WithPersistentFolder(this IResourceBuilder<ProjectResource> project, string name, string target) =>
        project.WithAnnotation(new PersistentFolderAnnotation(name, target));

    /// <summary>Deployed, the service listens on a range of the node's own ports (host networking), e.g. <c>22000-22999/tcp</c>.</summary>
    public static IResourceBuilder<ProjectResource> WithHostPortRange(this IResourceBuilder<ProjectResource> project, string range) =>
        project.WithAnnotation(new HostPortRangeAnnotation(range));

    /// <summary>A service's built program run once as a command (the Api's <c>rotate-master-password</c>), its output passed through; its exit code.</summary>
    public static async Task<int> RunBuiltProgramAsync(string name, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string> environment)
    {
        var folder = Path.Combine(ArtifactsBin, name, Configuration);
        var program = Path.Combine(folder, name);
        if (!File.Exists(program)) throw new SetupException($"{program} is not built: build Spokes first (dotnet build).");
        var start = new System.Diagnostics.ProcessStartInfo(program) { WorkingDirectory = folder };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var (variable, value) in environment) start.Environment[variable] = value;
        using var process = System.Diagnostics.Process.Start(start)!;
        await process.WaitForExitAsync();
        return process.ExitCode;
    }

    /// <summary>A project's built program (named <paramref name="programName"/>) run once as a command; its exit code and what it wrote.</summary>
    public static async Task<(int ExitCode, string Output)> RunBuiltProgramForOutputAsync(string project, string programName, IReadOnlyList<string> arguments)
    {
        var folder = Path.Combine(ArtifactsBin, project, Configuration);
        var program = Path.Combine(folder, programName);
        if (!File.Exists(program)) throw new SetupException($"{program} is not built: build Spokes first (dotnet build).");
        var start = new System.Diagnostics.ProcessStartInfo(program) { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = System.Diagnostics.Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output + await error);
    }

    /// <summary>Runs a project whose program is named otherwise than the project (<c>spokes-tunnel</c>) from its build output.</summary>
    public static IResourceBuilder<ProjectResource> WithBuiltProgram(this IResourceBuilder<ProjectResource> project, string programName)
    {
        RunBuiltProgram(project, programName);
        return project;
    }

    private static void RunBuiltProgram(IResourceBuilder<ProjectResource> project, string? programName = null)
    {
        var name = Path.GetFileNameWithoutExtension(project.Resource.GetProjectMetadata().ProjectPath);
        var folder = Path.Combine(ArtifactsBin, name, Configuration);
        var program = Path.Combine(folder, programName ?? name);
        if (File.Exists(program))
        {
            project.WithAnnotation(new ExecutableAnnotation { Command = program, WorkingDirectory = folder });
        }
    }
}
