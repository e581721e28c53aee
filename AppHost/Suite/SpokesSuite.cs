using Aspire.Hosting.Pipelines;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Spokes.AppHost.Containers;
using Spokes.AppHost.Kubernetes;

namespace Spokes.AppHost.Suite;

/// <summary>
/// What the topology in Program.cs needs besides Aspire: the suite's options, the profile (chosen before any
/// resource is added: a container resource with no engine behind it would wait for good), the data folder
/// with its generated secrets, the dashboard's settings and the start-up report.
/// </summary>
public sealed class SpokesSuite
{
    private readonly SecretStore? _secrets;
    private readonly MasterPassword? _masterPassword;

    private SpokesSuite(IDistributedApplicationBuilder builder, SpokesOptions options, Profile profile, MasterPassword? masterPassword = null)
    {
        Builder = builder;
        Options = options;
        Profile = profile;
        if (builder.ExecutionContext.IsRunMode)
        {
            Directory.CreateDirectory(options.DataFolder);
            _secrets = new SecretStore(Path.Combine(options.DataFolder, "secrets.json"));
            _masterPassword = masterPassword;
            masterPassword?.KeepCheck(options.DataFolder);
            Setup = FirstStartSetup.For(this);
        }
    }

    public IDistributedApplicationBuilder Builder { get; }

    public SpokesOptions Options { get; }

    /// <summary>The local profile's programs, or containers (the containers profile, and every publish).</summary>
    public Profile Profile { get; }

    public bool IsPublishing => Builder.ExecutionContext.IsPublishMode;

    public string DataFolder => Options.DataFolder;

    /// <summary>Where users reach the Gateway: the setup's answer (wizard, admin page, setup file) over <c>--public-url</c> and its default.</summary>
    public string PublicUrl => Setup?.Network.PublicUrl ?? Options.EffectivePublicUrl;

    /// <summary>The suite's own LiveKit's UDP media ports: the setup's answer over <c>--voice-ports</c>.</summary>
    public PortRange VoicePorts => Setup?.Network.LiveKitUdpPorts ?? Options.VoicePorts;

    /// <summary>The suite's own LiveKit's TCP fallback port: the setup's answer over the default.</summary>
    public int VoiceTcpPort => Setup?.Network.LiveKitTcpPort ?? LiveKitResource.DefaultRtcTcpPort;

    /// <summary>The first start's setup, when the suite runs (a publish leaves setup to the deployment).</summary>
    public FirstStartSetup? Setup { get; }

    /// <summary>
    /// The Api serves the setup wizard until it is done (or answers it from <c>SPOKES_SETUP_FILE</c>) and refuses
    /// sign-ups until then; licence files are verified with the key of the <c>license-verifying-key</c> setting.
    /// </summary>
    public IResourceBuilder<ProjectResource> RequireSetup(IResourceBuilder<ProjectResource> api)
    {
        if (IsPublishing)
        {
            // Deployed, the settings live on the Api's volume (one replica owns them); the setup code is a secret the
            // operator reads from the cluster, and a setup file's answers may be given as a secret instead.
            return api.WithPersistentFolder("settings", "/var/lib/spokes")
                .WithEnvironment("Setup__Required", "true")
                .WithEnvironment("Setup__DataFolder", "/var/lib/spokes/settings")
                .WithEnvironment("Setup__Code", AddSecret("setup-code"))
                .WithEnvironment("Setup__Answers", AddOptionalSecret("setup-answers"))
                .WithEnvironment("Setup__LicenseVerifyingKey", AddSetting("license-verifying-key", ""));
        }
        if (Setup is null) return api;
        api.WithEnvironment("Setup__Required", "true")
            .WithEnvironment("Setup__DataFolder", Setup.Folder)
            .WithEnvironment("Setup__LicenseVerifyingKey", AddSetting("license-verifying-key", ""));
        if (Setup.Code is { } code) api.WithEnvironment("Setup__Code", code);
        if (Setup.File is { } file) api.WithEnvironment("Setup__File", file);
        return api;
    }

    /// <summary>A folder of <paramref name="resource"/>'s own under the data folder (created).</summary>
    public string ResourceFolder(string resource, params string[] more)
    {
        var folder = Path.Combine([DataFolder, resource, .. more]);
        Directory.CreateDirectory(folder);
        return folder;
    }

    /// <summary>
    /// A secret: <c>Parameters__NAME</c> when given, else generated once and kept in the data folder's
    /// <c>secrets.json</c>, because the data it protects (RabbitMQ's users, Redis, push subscriptions) outlives
    /// one run. A publish asks the deployment for it (<paramref name="generate"/>: a password it may make).
    /// </summary>
    public IResourceBuilder<ParameterResource> AddSecret(string name, Func<string>? generate = null) =>
        AddSecret(name, generate ?? (() => SecretStore.NewPassword()), publishAsGenerated: generate is null);

    private IResourceBuilder<ParameterResource> AddSecret(string name, Func<string> generate, bool publishAsGenerated)
    {
        ProvideParameter(name, () => _secrets!.GetOrCreate(name, generate));
        return publishAsGenerated
            ? Builder.AddParameter(name, new GenerateParameterDefault { MinLength = 32, Special = false }, secret: true)
            : Builder.AddParameter(name, secret: true);
    }

    /// <summary>
    /// A Web Push VAPID key pair, generated together and kept: changing it would void every push subscription.
    /// The public key is announced by the Api; the private one (<c>NAME-private-key</c>, secret) signs Pushd's requests.
    /// </summary>
    public (IResourceBuilder<ParameterResource> PublicKey, IResourceBuilder<ParameterResource> PrivateKey) AddVapidKeys(string name)
    {
        var pair = new Lazy<(string PublicKey, string PrivateKey)>(SecretStore.NewVapidKeyPair);
        var privateKey = AddSecret($"{name}-private-key", () => pair.Value.PrivateKey, publishAsGenerated: false);
        ProvideParameter($"{name}-public-key", () => _secrets!.GetOrCreate($"{name}-public-key", () => pair.Value.PublicKey));
        return (Builder.AddParameter($"{name}-public-key"), privateKey);
    }

    /// <summary>
    /// The master password the Api encrypts the chat content under, a secret parameter: checked against the data
    /// folder before anything started (see <see cref="Suite.MasterPassword"/>); a publish asks the deployment for it.
    /// </summary>
    public IResourceBuilder<ParameterResource> AddMasterPassword()
    {
        if (Builder.ExecutionContext.IsRunMode) Builder.Configuration[$"Parameters:{Suite.MasterPassword.ParameterName}"] = _masterPassword!.Value;
        return Builder.AddParameter(Suite.MasterPassword.ParameterName, secret: true);
    }

    /// <summary>
    /// A secret that may stay empty (credentials for an optional feature, such as FCM or APNs): empty unless given as
    /// <c>Parameters__NAME</c>, so the suite starts without it instead of waiting for a value.
    /// </summary>
    public IResourceBuilder<ParameterResource> AddOptionalSecret(string name)
    {
        ProvideParameter(name, () => "");
        return Builder.AddParameter(name, new ConstantDefault(""), secret: true);
    }

    /// <summary>A plain setting with a default, overridable as <c>Parameters__NAME</c> (and in a deployment).</summary>
    public IResourceBuilder<ParameterResource> AddSetting(string name, string defaultValue)
    {
        ProvideParameter(name, () => defaultValue);
        return Builder.AddParameter(name, new ConstantDefault(defaultValue));
    }

    /// <summary>
    /// Deployed, the addresses the services' pods are reached from (the Gateway's among them): whose forwarded
    /// headers they believe. Running here, the Gateway is on loopback, the services' own default.
    /// </summary>
    public IResourceBuilder<ParameterResource>? ClusterNetwork => IsPublishing
        ? _clusterNetwork ??= AddSetting("cluster-network", "10.0.0.0/8")
        : null;

    private IResourceBuilder<ParameterResource>? _clusterNetwork;

    /// <summary>The value a parameter has in this run (a local server is configured with it before it starts).</summary>
    public string ParameterValue(IResourceBuilder<ParameterResource> parameter) =>
        Builder.Configuration[$"Parameters:{parameter.Resource.Name}"]
        ?? throw new InvalidOperationException($"Parameter '{parameter.Resource.Name}' has no value in this run.");

    /// <summary>Running, Aspire reads parameter values from <c>Parameters:NAME</c>; one given by the user wins.</summary>
    private void ProvideParameter(string name, Func<string> value)
    {
        if (!Builder.ExecutionContext.IsRunMode) return;
        var key = $"Parameters:{name}";
        if (string.IsNullOrEmpty(Builder.Configuration[key])) Builder.Configuration[key] = value();
    }

    private sealed class ConstantDefault(string value) : ParameterDefault
    {
        public override void WriteToManifest(Aspire.Hosting.Publishing.ManifestPublishingContext context) =>
            context.Writer.WriteString("value", value);

        public override string GetDefaultValue() => value;
    }

    public static SpokesSuite Create(IDistributedApplicationBuilder builder, IReadOnlyList<string> args)
    {
        // A mistake found while the topology is described ends the AppHost with its one line, not a stack trace.
        AppDomain.CurrentDomain.UnhandledException += (_, e) =>
        {
            if (e.ExceptionObject is SetupException setup)
            {
                Console.Error.WriteLine(setup.Message);
                Environment.Exit(setup.ExitCode);
            }
        };
        if (args.Any(a => a is "--help" or "-h" or "-?"))
        {
            Console.WriteLine(SpokesOptions.Usage);
            Environment.Exit(0);
        }

        var options = SpokesOptions.Parse(args);
        var configuredPassword = builder.Configuration[$"Parameters:{MasterPassword.ParameterName}"];
        if (options.RotateMasterPassword)
        {
            Environment.Exit(MasterPassword.RotateAsync(options, configuredPassword).GetAwaiter().GetResult());
        }
        if (builder.ExecutionContext.IsPublishMode)
        {
            ConfigurePublisher(builder, options);
            return new SpokesSuite(builder, options, Profile.Containers);
        }

        options = options.WithTunnelHostname();
        var engine = options.Profile == Profile.Local ? null : ContainerEngine.Detect();
        var profile = options.Profile ?? (engine is null ? Profile.Local : Profile.Containers);
        if (profile == Profile.Containers)
        {
            builder.Configuration["DcpPublisher:ContainerRuntime"] = engine
                ?? throw new SetupException("--profile containers needs a Docker or Podman engine, and none answers: start one, or use --profile local.");
        }

        // Before anything is made or started: a wrong password leaves the data folder as it was.
        var masterPassword = MasterPassword.Resolve(options.DataFolder, configuredPassword);
        var suite = new SpokesSuite(builder, options, profile, masterPassword);
        // Held until the application is disposed: the container disposes what a factory made once it is resolved.
        var folderLock = DataFolderLock.Acquire(options.DataFolder);
        builder.Services.AddSingleton(_ => folderLock);
        RequireFreeGatewayPort(options.Port);
        Dashboard.Configure(builder, args.Contains("--dashboard-port") ? options.DashboardPort : null);
        // Ctrl+C or SIGTERM: the AppHost ends only once DCP has stopped every child, so nothing outlives it.
        builder.Configuration["DcpPublisher:WaitForResourceCleanup"] = "true";
        builder.Services.AddSingleton(suite);
        builder.Services.AddSingleton<ResourceLogFiles>();
        builder.Services.AddSingleton<StartupReport>();
        builder.Services.AddSingleton<CrashRecovery>();
        // From the start on, not as hosted services: Aspire's host starts those only once every resource has started.
        builder.Eventing.Subscribe<BeforeStartEvent>((start, cancellationToken) =>
        {
            start.Services.GetRequiredService<DataFolderLock>();
            var lifetime = start.Services.GetRequiredService<IHostApplicationLifetime>();
            var stopping = lifetime.ApplicationStopping;
            stopping.Register(() => Console.WriteLine("Stopping …"));
            lifetime.ApplicationStopped.Register(() => Console.WriteLine("Stopped."));
            _ = start.Services.GetRequiredService<ResourceLogFiles>().RunAsync(stopping);
            _ = start.Services.GetRequiredService<StartupReport>().RunAsync(stopping);
            _ = start.Services.GetRequiredService<CrashRecovery>().RunAsync(stopping);
            return Task.CompletedTask;
        });
        return suite;
    }

    /// <summary>
    /// <c>--publisher manifest</c> is Aspire's own step; <c>--publisher kubernetes</c> is a step of ours, run the
    /// same way (or as <c>aspire do publish-kubernetes</c>).
    /// </summary>
    private static void ConfigurePublisher(IDistributedApplicationBuilder builder, SpokesOptions options)
    {
        var publisher = builder.Configuration["Publishing:Publisher"];
        if (publisher is not (null or "manifest" or "kubernetes"))
        {
            throw new SetupException($"--publisher must be manifest or kubernetes, not '{publisher}'.", 2);
        }
        if (publisher == "kubernetes" && string.IsNullOrEmpty(builder.Configuration["Pipeline:Step"]))
        {
            builder.Configuration["Pipeline:Step"] = KubernetesPublisher.StepName;
        }
        builder.Pipeline.AddStep(new PipelineStep
        {
            Name = KubernetesPublisher.StepName,
            Description = "Writes Kubernetes YAML and a kustomization for the cluster profile.",
            Action = context => KubernetesPublisher.WriteAsync(context, options),
            DependsOnSteps = [.. KubernetesPublisher.DependsOn],
        });
    }

    /// <summary>A fixed port must be free on loopback before anything starts, or the start fails half-way.</summary>
    private static void RequireFreeGatewayPort(int port)
    {
        if (!LoopbackPorts.IsFree(port)) throw new SetupException($"Port {port} is already in use on 127.0.0.1: stop what uses it or choose another with --port.");
    }
}
