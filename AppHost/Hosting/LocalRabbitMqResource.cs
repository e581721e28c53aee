namespace Spokes.AppHost.Hosting;

/// <summary>
/// RabbitMQ as a plain process (local profile): its own node name, ports, data and log folders under the
/// data folder, and an epmd of its own that the AppHost starts first and stops last — a broker left to
/// start epmd itself would leave it running after the broker stops.
/// </summary>
public sealed class LocalRabbitMqResource : ExecutableResource
{
    private const string Server = "/usr/lib/rabbitmq/bin/rabbitmq-server";
    private readonly ParameterResource _password;
    private readonly string _user;
    private ManagedProcess? _epmd;

    public LocalRabbitMqResource(string name, string user, ParameterResource password)
        : base(name, Server, "rabbitmq-server")
    {
        _user = user;
        _password = password;
        Endpoints.Add(new Endpoint("tcp", "tcp", 5672));
        Endpoints.Add(new Endpoint("epmd", "tcp", 4369));
        Endpoints.Add(new Endpoint("dist", "tcp", 25672));
        Prepare = WriteConfigurationAsync;
    }

    public override string Type => "rabbitmq-server";

    // Erlang's first boot creates the schema; on 2 cores that can take over half a minute.
    public override TimeSpan StartTimeout => TimeSpan.FromSeconds(120);

    public override async Task StartAsync(RunContext context, CancellationToken cancellationToken)
    {
        var folder = context.ResourceFolder(Name);
        var epmdPort = GetEndpoint("epmd").Port.ToString();
        var epmd = await ProgramLocator.RequireAsync("epmd", "erlang-base", line => context.Log(this, line), cancellationToken);
        _epmd = ManagedProcess.Start(new ProcessSpec(epmd, ["-address", "127.0.0.1", "-port", epmdPort]) { WorkingDirectory = folder },
            context.Owner, line => context.Log(this, "epmd: " + line));
        PidFiles.Write(context.DataFolder, Name + "-epmd", _epmd.Id);
        await WaitForEpmdAsync(int.Parse(epmdPort), cancellationToken);

        this.WithEnvironment("RABBITMQ_NODENAME", $"{Name}@localhost")
            .WithEnvironment("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1")
            .WithEnvironment("RABBITMQ_NODE_PORT", $"{{{Name}.bindings.tcp.port}}")
            .WithEnvironment("RABBITMQ_DIST_PORT", $"{{{Name}.bindings.dist.port}}")
            .WithEnvironment("RABBITMQ_MNESIA_BASE", Path.Combine(folder, "mnesia"))
            .WithEnvironment("RABBITMQ_LOG_BASE", Path.Combine(folder, "log"))
            .WithEnvironment("RABBITMQ_LOGS", "-")
            .WithEnvironment("RABBITMQ_PID_FILE", Path.Combine(folder, "rabbitmq.pid"))
            .WithEnvironment("RABBITMQ_CONFIG_FILE", Path.Combine(folder, "rabbitmq.conf"))
            .WithEnvironment("RABBITMQ_ENABLED_PLUGINS_FILE", Path.Combine(folder, "enabled_plugins"))
            .WithEnvironment("HOME", folder)
            .WithEnvironment("ERL_EPMD_ADDRESS", "127.0.0.1")
            .WithEnvironment("ERL_EPMD_PORT", $"{{{Name}.bindings.epmd.port}}");
        await base.StartAsync(context, cancellationToken);
    }

    // A broker that finds no epmd listening starts one of its own, which then races ours for the port; on a
    // slow machine both lose and the broker exits at boot.
    private async Task WaitForEpmdAsync(int port, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!(await Probes.TcpAsync(port, cancellationToken)).Healthy)
        {
            if (_epmd!.HasExited) throw new InvalidOperationException($"epmd exited with code {await _epmd.Exited} before it listened on port {port}");
            if (DateTime.UtcNow > deadline) throw new InvalidOperationException($"epmd did not listen on port {port} within 15 s");
            await Task.Delay(50, cancellationToken);
        }
    }

    public override async Task StopAsync(TimeSpan grace)
    {
        await base.StopAsync(grace);
        if (_epmd is not null) await _epmd.StopAsync(TimeSpan.FromSeconds(2));
    }

    private async Task WriteConfigurationAsync(RunContext context)
    {
        var folder = context.ResourceFolder(Name);
        await File.WriteAllTextAsync(Path.Combine(folder, "enabled_plugins"), "[].\n");
        // default_user applies when the broker first creates its database; the password is kept in
        // secrets.json, so it stays the same for every later start.
        await InfrastructureResources.WritePrivateFileAsync(Path.Combine(folder, "rabbitmq.conf"), $"""
            listeners.tcp.1 = 127.0.0.1:{GetEndpoint("tcp").Port}
            default_user = {_user}
            default_pass = {_password.Value}
            default_vhost = /
            loopback_users = none
            """);
    }
}
