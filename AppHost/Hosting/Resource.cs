using System.Collections.Concurrent;

namespace Spokes.AppHost.Hosting;

public enum ResourceState { Waiting, Starting, Running, Healthy, Failed, Stopping, Stopped }

/// <summary>A network endpoint of a resource: the port it listens on here and inside its container or pod.</summary>
public sealed class Endpoint(string name, string scheme, int targetPort, bool external = false, string? transport = null)
{
    public string Name { get; } = name;

    /// <summary>http, https, tcp or udp; tcp and udp endpoints have no URL scheme of their own.</summary>
    public string Scheme { get; } = scheme;

    /// <summary>The port inside the container (or pod) — fixed by the program, e.g. 6379 for Redis.</summary>
    public int TargetPort { get; } = targetPort;

    /// <summary>The port on 127.0.0.1 while running; 0 until the orchestrator allocates one.</summary>
    public int Port { get; set; }

    /// <summary>Exposed to users (the Gateway), as opposed to reachable only by other resources.</summary>
    public bool External { get; } = external;

    /// <summary>Aspire's transport: <c>http</c>, <c>http2</c> (cleartext HTTP/2, as gRPC needs) or the scheme itself.</summary>
    public string Transport { get; } = transport ?? (scheme is "http" or "https" ? "http" : scheme);

    public string Protocol => Scheme == "udp" ? "udp" : "tcp";
}

/// <summary>What the orchestrator shows and acts on: the live state of one resource.</summary>
public sealed record ResourceSnapshot(
    string Name,
    string Type,
    ResourceState State,
    string? Health,
    int? ProcessId,
    IReadOnlyList<string> Endpoints);

/// <summary>
/// One node of the topology: a container, an executable, a project, a parameter or a value. Its
/// environment and connection string are Aspire manifest expressions (<c>{redis.bindings.tcp.port}</c>,
/// <c>{redis-password.value}</c>, <c>{mongo.connectionString}</c>) so that one description serves running,
/// the manifest and Kubernetes.
/// </summary>
public abstract class Resource(string name)
{
    private readonly object _gate = new();
    private ResourceState _state = ResourceState.Waiting;
    private string? _health;

    public string Name { get; } = ResourceNames.Validate(name);

    /// <summary>The resource type shown on the dashboard, e.g. <c>container</c>, <c>project</c>, <c>redis-server</c>.</summary>
    public abstract string Type { get; }

    public List<Endpoint> Endpoints { get; } = [];

    /// <summary>Resources that must be healthy before this one starts.</summary>
    public List<Resource> Dependencies { get; } = [];

    /// <summary>Environment variables as manifest expressions, in insertion order.</summary>
    public List<KeyValuePair<string, string>> Environment { get; } = [];

    /// <summary>The connection string other resources receive as <c>ConnectionStrings__{Name}</c>, if any.</summary>
    public string? ConnectionStringExpression { get; init; }

    public LogBuffer Logs { get; } = new();

    public virtual int? ProcessId => null;

    /// <summary>Whether the orchestrator starts and probes this resource (parameters and values are only data).</summary>
    public virtual bool IsRunnable => true;

    public Endpoint GetEndpoint(string name) =>
        Endpoints.FirstOrDefault(e => e.Name == name)
        ?? throw new InvalidOperationException($"Resource '{Name}' has no endpoint '{name}'.");

    public virtual Task StartAsync(RunContext context, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>One health probe; the orchestrator repeats it until it passes or the start times out.</summary>
    public abstract Task<HealthResult> ProbeAsync(RunContext context, CancellationToken cancellationToken);

    public virtual Task StopAsync(TimeSpan grace) => Task.CompletedTask;

    /// <summary>True while the resource's process (if it has one) has not exited.</summary>
    public virtual bool HasExited => false;

    public virtual TimeSpan StartTimeout => TimeSpan.FromSeconds(60);

    public void SetState(ResourceState state, string? health = null)
    {
        lock (_gate)
        {
            _state = state;
            _health = health ?? _health;
        }
    }

    public ResourceState State { get { lock (_gate) return _state; } }

    public ResourceSnapshot Snapshot()
    {
        lock (_gate)
        {
            return new ResourceSnapshot(Name, Type, _state, _health, ProcessId,
                Endpoints.Where(e => e.Port > 0).Select(e => $"{e.Scheme}://127.0.0.1:{e.Port}").ToList());
        }
    }
}

public readonly record struct HealthResult(bool Healthy, string Description)
{
    public static HealthResult Pass(string description = "healthy") => new(true, description);
    public static HealthResult Fail(string description) => new(false, description);
}

public static class ResourceNames
{
    /// <summary>Resource names double as host names and environment keys: lower-case kebab-case only.</summary>
    public static string Validate(string name) =>
        System.Text.RegularExpressions.Regex.IsMatch(name, "^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
            ? name
            : throw new ArgumentException($"Resource name '{name}' must be lower-case kebab-case (a-z, 0-9, '-').", nameof(name));

    /// <summary><c>voice-ingress</c> → <c>VOICE_INGRESS</c>, for environment variable names.</summary>
    public static string ToEnvironmentName(string name) => name.Replace('-', '_').ToUpperInvariant();
}

/// <summary>The last lines a resource wrote, for the dashboard; the full log is in its file.</summary>
public sealed class LogBuffer(int capacity = 1000)
{
    private readonly ConcurrentQueue<string> _lines = new();

    public void Add(string line)
    {
        _lines.Enqueue(line);
        while (_lines.Count > capacity && _lines.TryDequeue(out _)) { }
    }

    public IReadOnlyList<string> Tail(int count)
    {
        var all = _lines.ToArray();
        return all.Length <= count ? all : all[^count..];
    }
}
