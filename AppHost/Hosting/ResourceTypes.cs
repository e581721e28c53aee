namespace Spokes.AppHost.Hosting;

/// <summary>
/// A value the deployment supplies: generated and kept in the data folder when running, an input of the
/// manifest, a key of a Kubernetes Secret when secret.
/// </summary>
public sealed class ParameterResource(string name, bool secret, Func<string> value) : Resource(name)
{
    private readonly Lazy<string> _value = new(value);

    public override string Type => "parameter";

    public bool Secret { get; } = secret;

    /// <summary>Whether the manifest may ask the deployment tool to generate it (passwords, not key pairs).</summary>
    public bool Generatable { get; init; } = true;

    public string Value => _value.Value;

    public override bool IsRunnable => false;

    public override Task<HealthResult> ProbeAsync(RunContext context, CancellationToken cancellationToken) =>
        Task.FromResult(HealthResult.Pass());
}

/// <summary>A store that is only a path under the data folder: SQLite files or a file folder (local profile).</summary>
public sealed class LocalStoreResource(string name, string type, string folder) : Resource(name)
{
    public override string Type { get; } = type;

    public string Folder { get; } = folder;

    public override Task<HealthResult> ProbeAsync(RunContext context, CancellationToken cancellationToken)
    {
        try
        {
            Directory.CreateDirectory(Folder);
            var probe = Path.Combine(Folder, ".apphost-probe");
            File.WriteAllText(probe, "");
            File.Delete(probe);
            return Task.FromResult(HealthResult.Pass($"writable folder {Folder}"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Task.FromResult(HealthResult.Fail($"{Folder} is not writable: {e.Message}"));
        }
    }
}

/// <summary>A server run elsewhere (e.g. a LiveKit the operator configured), probed over HTTP.</summary>
public sealed class ExternalResource(string name, string type, Uri address) : Resource(name)
{
    public override string Type { get; } = type;

    public Uri Address { get; } = address;

    public override Task<HealthResult> ProbeAsync(RunContext context, CancellationToken cancellationToken) =>
        Probes.HttpAsync(Address.ToString(), cancellationToken);
}

/// <summary>A resource backed by one child process (an executable, a container client, a .NET project).</summary>
public abstract class ProcessResource(string name) : Resource(name)
{
    private ManagedProcess? _process;

    /// <summary>One readiness probe of this resource (its endpoints have their ports by then).</summary>
    public required Func<Resource, CancellationToken, Task<HealthResult>> Probe { get; init; }

    public override int? ProcessId => _process is { HasExited: false } process ? process.Id : null;

    public override bool HasExited => _process?.HasExited ?? false;

    public Task<int>? Exited => _process?.Exited;

    protected abstract Task<ProcessSpec> CreateSpecAsync(RunContext context, CancellationToken cancellationToken);

    public override async Task StartAsync(RunContext context, CancellationToken cancellationToken)
    {
        var spec = await CreateSpecAsync(context, cancellationToken);
        foreach (var (key, expression) in Environment)
        {
            spec.Environment[key] = context.Evaluate(expression);
        }
        _process = ManagedProcess.Start(spec, context.Owner, line => context.Log(this, line));
        PidFiles.Write(context.DataFolder, Name, _process.Id);
    }

    public override async Task<HealthResult> ProbeAsync(RunContext context, CancellationToken cancellationToken)
    {
        if (_process is { HasExited: true } process)
        {
            return HealthResult.Fail($"exited with code {process.Exited.Result}");
        }
        return await Probe(this, cancellationToken);
    }

    public override async Task StopAsync(TimeSpan grace)
    {
        if (_process is null) return;
        await _process.StopAsync(grace);
    }
}

/// <summary>A program run directly on this machine (local profile), e.g. <c>redis-server</c>.</summary>
public class ExecutableResource(string name, string program, string aptPackage) : ProcessResource(name)
{
    public override string Type => Path.GetFileName(Program);

    public string Program { get; } = program;

    public string AptPackage { get; } = aptPackage;

    /// <summary>Arguments as expressions (ports, folders).</summary>
    public List<string> Arguments { get; } = [];

    /// <summary>Writes config files and folders before the first start.</summary>
    public Func<RunContext, Task>? Prepare { get; init; }

    protected override async Task<ProcessSpec> CreateSpecAsync(RunContext context, CancellationToken cancellationToken)
    {
        var path = await ProgramLocator.RequireAsync(Program, AptPackage, line => context.Log(this, line), cancellationToken);
        if (Prepare is not null) await Prepare(context);
        return new ProcessSpec(path, Arguments.Select(context.Evaluate).ToList())
        {
            WorkingDirectory = context.ResourceFolder(Name),
        };
    }
}

public sealed record ContainerVolume(string Name, string Target);

/// <summary>An OCI image run by Docker or Podman (containers profile), and a container in the manifest.</summary>
public sealed class ContainerResource(string name, string image, string tag) : ProcessResource(name)
{
    public override string Type => "container";

    public string Image { get; } = image;

    public string Tag { get; } = tag;

    /// <summary>Overrides the image's command; expressions.</summary>
    public List<string> Arguments { get; } = [];

    public List<ContainerVolume> Volumes { get; } = [];

    /// <summary>A host-port range published as-is (LiveKit's UDP media ports), e.g. <c>50000-50100/udp</c>.</summary>
    public List<string> PortRanges { get; } = [];

    /// <summary>A fixed host name: RabbitMQ keys its data folder by it, so it must not change between runs.</summary>
    public string? Hostname { get; init; }

    /// <summary>Runs once the container answers its probe (e.g. MongoDB's replica-set initiation).</summary>
    public Func<RunContext, ContainerResource, CancellationToken, Task<HealthResult>>? AfterHealthy { get; init; }

    private bool _initialised;

    public override async Task<HealthResult> ProbeAsync(RunContext context, CancellationToken cancellationToken)
    {
        var result = await base.ProbeAsync(context, cancellationToken);
        if (!result.Healthy || AfterHealthy is null || _initialised) return result;
        result = await AfterHealthy(context, this, cancellationToken);
        _initialised = result.Healthy;
        return result;
    }

    public override TimeSpan StartTimeout => TimeSpan.FromMinutes(5);

    public string ContainerName(RunContext context) =>
        $"spokes-{Name}-{Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(
            System.Text.Encoding.UTF8.GetBytes(context.DataFolder)))[..8].ToLowerInvariant()}";

    protected override Task<ProcessSpec> CreateSpecAsync(RunContext context, CancellationToken cancellationToken)
    {
        var engine = context.ContainerEngine ?? throw new InvalidOperationException("No container engine.");
        var arguments = new List<string> { "run", "--rm", "--name", ContainerName(context) };
        if (Hostname is not null)
        {
            arguments.Add("--hostname");
            arguments.Add(Hostname);
        }
        foreach (var endpoint in Endpoints)
        {
            arguments.Add("-p");
            arguments.Add($"127.0.0.1:{endpoint.Port}:{endpoint.TargetPort}/{endpoint.Protocol}");
        }
        foreach (var range in PortRanges)
        {
            arguments.Add("-p");
            arguments.Add(range);
        }
        foreach (var volume in Volumes)
        {
            arguments.Add("-v");
            arguments.Add($"{context.ResourceFolder(Path.Combine(Name, volume.Name))}:{volume.Target}");
        }
        // Values stay in the client's environment (`-e NAME` copies them), never on its command line.
        foreach (var (key, _) in Environment)
        {
            arguments.Add("-e");
            arguments.Add(key);
        }
        arguments.Add($"{Image}:{Tag}");
        arguments.AddRange(Arguments.Select(context.Evaluate));
        return Task.FromResult(new ProcessSpec(engine, arguments));
    }

    private (string Engine, string Name)? _running;

    public override async Task StartAsync(RunContext context, CancellationToken cancellationToken)
    {
        _running = (context.ContainerEngine!, ContainerName(context));
        await base.StartAsync(context, cancellationToken);
    }

    /// <summary>
    /// Stops the container through the engine: signalling only the `docker run` client could leave the
    /// container running if the client died first.
    /// </summary>
    public override async Task StopAsync(TimeSpan grace)
    {
        if (_running is var (engine, name))
        {
            var stop = System.Diagnostics.Process.Start(engine, ["stop", "--time", ((int)grace.TotalSeconds).ToString(), name]);
            await stop.WaitForExitAsync();
        }
        await base.StopAsync(grace);
    }
}

/// <summary>A .NET project of this repository, run from its build output.</summary>
public sealed class ProjectResource(string name, string projectPath) : ProcessResource(name)
{
    public override string Type => "project";

    /// <summary>Path of the .csproj, relative to the repository root.</summary>
    public string ProjectPath { get; } = projectPath;

    public string AssemblyName => Path.GetFileNameWithoutExtension(ProjectPath);

    /// <summary>Deployed only: volumes for state the service keeps in files (run here, its settings point into the data folder).</summary>
    public List<ContainerVolume> Volumes { get; } = [];

    /// <summary>Deployed only: a range of the node's ports the service listens on by itself, e.g. <c>22000-22999/tcp</c>.</summary>
    public List<string> PortRanges { get; } = [];

    protected override Task<ProcessSpec> CreateSpecAsync(RunContext context, CancellationToken cancellationToken)
    {
        var output = BuildLayout.ProjectOutput(AssemblyName);
        if (!File.Exists(output))
        {
            throw new InvalidOperationException(
                $"{output} is missing: build the suite first (`dotnet build`), or start it with `dotnet run --project AppHost`.");
        }
        var spec = new ProcessSpec("dotnet", [output])
        {
            WorkingDirectory = Path.GetDirectoryName(output),
            Environment =
            {
                ["DOTNET_ENVIRONMENT"] = BuildLayout.EnvironmentName,
                ["ASPNETCORE_ENVIRONMENT"] = BuildLayout.EnvironmentName,
                ["ASPNETCORE_FORWARDEDHEADERS_ENABLED"] = "true",
                ["Logging__Console__FormatterName"] = "simple",
                ["Logging__Console__FormatterOptions__SingleLine"] = "true",
                ["OTEL_SERVICE_NAME"] = Name,
                ["OTEL_RESOURCE_ATTRIBUTES"] = $"service.instance.id={Guid.NewGuid()}",
            },
        };
        foreach (var (key, value) in ListenEnvironment(this, e => $"http://127.0.0.1:{e.Port}")) spec.Environment[key] = value;
        return Task.FromResult(spec);
    }

    /// <summary>
    /// Where Kestrel listens: ASPNETCORE_URLS for one HTTP endpoint; Kestrel's endpoint settings when one of them
    /// speaks cleartext HTTP/2 (gRPC), which needs its protocols set per endpoint.
    /// </summary>
    public static IEnumerable<KeyValuePair<string, string>> ListenEnvironment(ProjectResource project, Func<Endpoint, string> url)
    {
        var endpoints = project.Endpoints.Where(e => e.Scheme is "http" or "https").ToList();
        if (endpoints.All(e => e.Transport != "http2"))
        {
            yield return new("ASPNETCORE_URLS", string.Join(';', endpoints.Select(url)));
            yield break;
        }
        foreach (var endpoint in endpoints)
        {
            yield return new($"Kestrel__Endpoints__{endpoint.Name}__Url", url(endpoint));
            yield return new($"Kestrel__Endpoints__{endpoint.Name}__Protocols", endpoint.Transport == "http2" ? "Http2" : "Http1AndHttp2");
        }
    }
}
