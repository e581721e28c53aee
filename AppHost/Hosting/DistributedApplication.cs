using System.Diagnostics;
using Microsoft.Extensions.Configuration;

namespace Spokes.AppHost.Hosting;

/// <summary>
/// Collects the topology. Mirrors Aspire's <c>DistributedApplicationBuilder</c> closely enough that
/// AppHost/Program.cs reads like an Aspire AppHost; see ARCHITECTURE.md, "Orchestration".
/// </summary>
public sealed class DistributedApplicationBuilder
{
    private readonly Dictionary<string, Resource> _resources = [];

    internal DistributedApplicationBuilder(AppHostOptions options, IConfiguration configuration, string? containerEngine)
    {
        Options = options;
        Configuration = configuration;
        ContainerEngine = containerEngine;
        Secrets = new SecretStore(Path.Combine(options.DataFolder, "secrets.json"));
    }

    public AppHostOptions Options { get; }

    /// <summary>The AppHost's own settings: environment variables and appsettings.json (LiveKit__Url …).</summary>
    public IConfiguration Configuration { get; }

    /// <summary>The engine that runs containers in the containers profile; null in the local profile.</summary>
    public string? ContainerEngine { get; }

    /// <summary>True when publishing: every infrastructure resource is described as a container.</summary>
    public bool IsPublishing => Options.IsPublishing;

    /// <summary>Whether infrastructure runs as containers (containers profile, or any publish).</summary>
    public bool UsesContainers => IsPublishing || ContainerEngine is not null;

    public SecretStore Secrets { get; }

    public string DataFolder => Options.DataFolder;

    public string PublicUrl => Options.EffectivePublicUrl;

    public IReadOnlyDictionary<string, Resource> Resources => _resources;

    /// <summary>Where projects send OTLP telemetry: the dashboard container, or the AppHost's own OTEL_EXPORTER_OTLP_ENDPOINT.</summary>
    public string? TelemetryEndpoint { get; set; }

    public T AddResource<T>(T resource) where T : Resource
    {
        if (!_resources.TryAdd(resource.Name, resource))
        {
            throw new InvalidOperationException($"A resource named '{resource.Name}' already exists.");
        }
        return resource;
    }

    /// <summary>A value kept in the data folder (generated on first use) or given as <c>Parameters__NAME</c>.</summary>
    public ParameterResource AddParameter(string name, bool secret, Func<string>? generate = null) =>
        AddResource(new ParameterResource(name, secret, () =>
            Configuration[$"Parameters:{name}"] is { Length: > 0 } given
                ? given
                : Secrets.GetOrCreate(name, generate ?? (() => SecretStore.NewPassword()))));

    /// <summary>
    /// A Web Push VAPID key pair, generated together and kept: changing it would void every push
    /// subscription. Returns the public key; the private one is <c>NAME-private-key</c>.
    /// </summary>
    public ParameterResource AddVapidKeys(string name)
    {
        var pair = new Lazy<(string PublicKey, string PrivateKey)>(() =>
        {
            if (Configuration[$"Parameters:{name}-public-key"] is { Length: > 0 } publicKey
                && Configuration[$"Parameters:{name}-private-key"] is { Length: > 0 } privateKey)
            {
                return (publicKey, privateKey);
            }
            var generated = new Lazy<(string, string)>(SecretStore.NewVapidKeyPair);
            return (Secrets.GetOrCreate($"{name}-public-key", () => generated.Value.Item1),
                    Secrets.GetOrCreate($"{name}-private-key", () => generated.Value.Item2));
        });
        AddResource(new ParameterResource($"{name}-private-key", secret: true, () => pair.Value.PrivateKey) { Generatable = false });
        return AddResource(new ParameterResource($"{name}-public-key", secret: false, () => pair.Value.PublicKey) { Generatable = false });
    }

    public ProjectResource AddProject(string name, string projectPath)
    {
        var project = new ProjectResource(name, projectPath)
        {
            Probe = (self, cancellationToken) => Probes.HttpAsync($"http://127.0.0.1:{self.GetEndpoint("http").Port}/health", cancellationToken),
        };
        project.Endpoints.Add(new Endpoint("http", "http", targetPort: 8080));
        if (IsPublishing)
        {
            // Deployed, the service listens on its target port (running here, ASPNETCORE_URLS decides).
            project.WithEnvironment("HTTP_PORTS", $"{{{name}.bindings.http.targetPort}}");
        }
        if ((TelemetryEndpoint ?? Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]) is { Length: > 0 } otlp)
        {
            project.WithEnvironment("OTEL_EXPORTER_OTLP_ENDPOINT", otlp);
        }
        return AddResource(project);
    }

    public DistributedApplication Build() => new(this);

    /// <summary>Finds a container engine that answers (Docker, then Podman), or null.</summary>
    internal static string? DetectContainerEngine()
    {
        foreach (var engine in new[] { "docker", "podman" })
        {
            if (ProgramLocator.Find(engine) is null) continue;
            try
            {
                using var process = Process.Start(new ProcessStartInfo(engine, ["info", "--format", "{{.ServerVersion}}"])
                {
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                })!;
                if (process.WaitForExit(TimeSpan.FromSeconds(5)) && process.ExitCode == 0) return engine;
                if (!process.HasExited) process.Kill();
            }
            catch (System.ComponentModel.Win32Exception)
            {
                // Not runnable: try the next engine.
            }
        }
        return null;
    }
}

public sealed class DistributedApplication(DistributedApplicationBuilder builder)
{
    public DistributedApplicationBuilder Builder { get; } = builder;

    public static DistributedApplicationBuilder CreateBuilder(string[] args)
    {
        if (args.Any(a => a is "--help" or "-h" or "-?"))
        {
            Console.WriteLine(AppHostOptions.Usage);
            Environment.Exit(0);
        }
        // A configuration mistake found while the topology is described (a half-configured LiveKit, say)
        // ends the AppHost with its one-line reason, not a stack trace.
        AppDomain.CurrentDomain.UnhandledException += (_, e) =>
        {
            if (e.ExceptionObject is ArgumentException or MissingProgramException or StartFailedException)
            {
                Console.Error.WriteLine(((Exception)e.ExceptionObject).Message);
                Environment.Exit(1);
            }
        };

        AppHostOptions options;
        try
        {
            options = AppHostOptions.Parse(args);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"{e.Message} See --help.");
            Environment.Exit(2);
            throw;
        }
        var configuration = new ConfigurationBuilder()
            .SetBasePath(AppContext.BaseDirectory)
            .AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables()
            .Build();
        var engine = options.IsPublishing ? null : options.Profile switch
        {
            Profile.Local => null,
            Profile.Containers => DistributedApplicationBuilder.DetectContainerEngine()
                ?? throw new ArgumentException("--profile containers needs a Docker or Podman engine, and none answers."),
            _ => DistributedApplicationBuilder.DetectContainerEngine(),
        };
        return new DistributedApplicationBuilder(options, configuration, engine);
    }

    public int Run()
    {
        try
        {
            Expressions.Validate(Builder.Resources);
        }
        catch (InvalidOperationException e)
        {
            Console.Error.WriteLine($"The topology in AppHost/Program.cs is not sound: {e.Message}");
            return 1;
        }

        try
        {
            if (Builder.Options.Publisher is { } publisher)
            {
                var written = publisher == Publisher.Manifest
                    ? Publishing.ManifestPublisher.Write(Builder.Resources, Builder.Options.OutputPath!)
                    : Publishing.KubernetesPublisher.Write(Builder.Resources, Builder.Options);
                Console.WriteLine($"Wrote {string.Join(", ", written)}");
                return 0;
            }
            return new Orchestrator(Builder).RunAsync().GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is StartFailedException or MissingProgramException or ArgumentException)
        {
            Console.Error.WriteLine(e.Message);
            return 1;
        }
    }
}
