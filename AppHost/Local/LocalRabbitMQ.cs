namespace Spokes.AppHost.Local;

/// <summary>RabbitMQ run by Aspire as a program on this machine (local profile): one user with a password.</summary>
public sealed class LocalRabbitMQResource(string name, string command, string folder, string user, ParameterResource password)
    : ExecutableResource(name, command, folder), IResourceWithConnectionString
{
    public EndpointReference Endpoint => new(this, "tcp");

    public string User { get; } = user;

    public ParameterResource Password { get; } = password;

    /// <summary>An amqp:// URI, as Aspire's own RabbitMQ resource gives it.</summary>
    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"amqp://{User}:{Password}@{Endpoint.Property(EndpointProperty.HostAndPort)}/");
}

/// <summary>
/// The broker and an epmd of its own, each a resource. The broker is told to use that epmd: left to itself it
/// would start `epmd -daemon`, which leaves the process tree and so outlives the suite.
/// </summary>
public static class LocalRabbitMQ
{
    public const string Program = "/usr/lib/rabbitmq/bin/rabbitmq-server";
    public const string User = "spokes";

    /// <summary>
    /// The broker's settings (mode 0600: they hold the password). <c>default_user</c> applies when the broker first
    /// creates its database; the password is kept in the data folder, so it stays the same for every later start.
    /// </summary>
    public static void WriteConfiguration(string folder, string password)
    {
        File.WriteAllText(Path.Combine(folder, "enabled_plugins"), "[].\n");
        PrivateFile.Write(Path.Combine(folder, "rabbitmq.conf"), $"""
            default_user = {User}
            default_pass = {password}
            default_vhost = /
            loopback_users = none
            """);
    }

    /// <summary>Where the broker keeps its database and logs, its node name and the addresses it listens on.</summary>
    public static Dictionary<string, object> Environment(string name, string folder, object amqpPort, object distributionPort, object epmdPort) => new()
    {
        ["RABBITMQ_NODENAME"] = $"{name}@localhost",
        ["RABBITMQ_NODE_IP_ADDRESS"] = "127.0.0.1",
        ["RABBITMQ_NODE_PORT"] = amqpPort,
        ["RABBITMQ_DIST_PORT"] = distributionPort,
        ["RABBITMQ_MNESIA_BASE"] = Path.Combine(folder, "mnesia"),
        ["RABBITMQ_LOG_BASE"] = Path.Combine(folder, "log"),
        ["RABBITMQ_LOGS"] = "-",
        ["RABBITMQ_PID_FILE"] = Path.Combine(folder, "rabbitmq.pid"),
        ["RABBITMQ_CONFIG_FILE"] = Path.Combine(folder, "rabbitmq.conf"),
        ["RABBITMQ_ENABLED_PLUGINS_FILE"] = Path.Combine(folder, "enabled_plugins"),
        ["HOME"] = folder,
        ["ERL_EPMD_ADDRESS"] = "127.0.0.1",
        ["ERL_EPMD_PORT"] = epmdPort,
        // Never a daemon epmd of its own, not even while its epmd is away (as the suite stops): it would outlive the suite.
        ["ERL_FLAGS"] = "-start_epmd false",
    };

    /// <summary>epmd in the foreground on loopback, on its own port.</summary>
    public static object[] EpmdArguments(object port) => ["-address", "127.0.0.1", "-port", port];

    public static IResourceBuilder<LocalRabbitMQResource> AddLocalRabbitMQ(this IDistributedApplicationBuilder builder, string name,
        string folder, IResourceBuilder<ParameterResource> password, string passwordValue)
    {
        WriteConfiguration(folder, passwordValue);
        var epmd = builder.AddExecutable($"{name}-epmd", ProgramLocator.Require("epmd", "erlang-base"), folder)
            .WithEndpoint(name: "tcp", scheme: "tcp", isProxied: false)
            .ExcludeFromManifest();
        var epmdPort = epmd.GetEndpoint("tcp");
        epmd.WithArgs(EpmdArguments(epmdPort.Property(EndpointProperty.TargetPort)))
            .WithProbe(cancellationToken => ServerProbes.EpmdAsync(epmdPort.Port, cancellationToken));

        var rabbitmq = new LocalRabbitMQResource(name, ProgramLocator.Require(Program, "rabbitmq-server"), folder, User, password.Resource);
        return builder.AddResource(rabbitmq)
            .WithEndpoint(name: "tcp", scheme: "tcp", isProxied: false)
            .WithEndpoint(name: "dist", scheme: "tcp", isProxied: false)
            .WithEnvironment(context =>
            {
                foreach (var (key, value) in Environment(name, folder,
                             rabbitmq.Endpoint.Property(EndpointProperty.TargetPort),
                             rabbitmq.GetEndpoint("dist").Property(EndpointProperty.TargetPort),
                             epmdPort.Property(EndpointProperty.TargetPort)))
                {
                    context.EnvironmentVariables[key] = value;
                }
            })
            .WaitFor(epmd)
            .WithProbe(cancellationToken => ServerProbes.AmqpAsync(rabbitmq.Endpoint.Port, cancellationToken))
            .WithIconName("Mail")
            .ExcludeFromManifest();
    }
}
