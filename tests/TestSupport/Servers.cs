using Spokes.AppHost.Local;
using Xunit;

namespace Spokes.TestSupport;

/// <summary>
/// A real redis-server with a password for a test class (<c>IClassFixture&lt;RedisServer&gt;</c>), set up with the
/// AppHost's own local-profile settings, on a free port and a folder of its own.
/// </summary>
public sealed class RedisServer : IAsyncLifetime
{
    private readonly TemporaryFolder _folder = new("spokes-redis");
    private readonly string _password = Guid.NewGuid().ToString("N");
    private readonly LocalProgram _program;

    public RedisServer()
    {
        Port = Ports.Free();
        var configuration = LocalRedis.WriteConfiguration(_folder.Path, _password);
        _program = new LocalProgram("redis", _folder.Path,
            () => new ProcessSpec(LocalRedis.Program, [configuration, "--port", Port.ToString()]) { WorkingDirectory = _folder.Path },
            cancellationToken => ServerProbes.RedisAsync(Port, _password, cancellationToken));
    }

    public int Port { get; }

    /// <summary>StackExchange.Redis syntax, as the AppHost gives it.</summary>
    public string ConnectionString => $"127.0.0.1:{Port},password={_password}";

    public int? ProcessId => _program.ProcessId;

    public Task InitializeAsync() => _program.StartAsync();

    public Task StopAsync() => _program.StopAsync();

    /// <summary>Starts it again after <see cref="StopAsync"/>, on the same port and data.</summary>
    public Task StartAgainAsync() => _program.StartAsync();

    public async Task DisposeAsync()
    {
        await _program.DisposeAsync();
        _folder.Dispose();
    }
}

/// <summary>
/// A real RabbitMQ broker for a test class, with an epmd of its own and one user, set up with the AppHost's own
/// local-profile settings.
/// </summary>
public sealed class RabbitMqServer : IAsyncLifetime
{
    private readonly TemporaryFolder _folder = new("spokes-rabbitmq");
    private readonly string _password = Guid.NewGuid().ToString("N");
    private readonly LocalProgram _epmd;
    private readonly LocalProgram _broker;

    public RabbitMqServer()
    {
        var (epmdPort, distributionPort) = (Ports.Free(), Ports.Free());
        Port = Ports.Free();
        LocalRabbitMQ.WriteConfiguration(_folder.Path, _password);
        _epmd = new LocalProgram("epmd", _folder.Path,
            () => new ProcessSpec("epmd", [.. LocalRabbitMQ.EpmdArguments(epmdPort).Select(a => a.ToString()!)]) { WorkingDirectory = _folder.Path },
            cancellationToken => ServerProbes.EpmdAsync(epmdPort, cancellationToken));
        var environment = LocalRabbitMQ.Environment("rabbitmq", _folder.Path, Port, distributionPort, epmdPort)
            .ToDictionary(e => e.Key, e => e.Value.ToString()!);
        // Erlang's first boot creates the schema; on 2 busy cores that can take over half a minute.
        _broker = new LocalProgram("rabbitmq", _folder.Path,
            () => new ProcessSpec(LocalRabbitMQ.Program, []) { Environment = environment, WorkingDirectory = _folder.Path },
            cancellationToken => ServerProbes.AmqpAsync(Port, cancellationToken),
            TimeSpan.FromSeconds(120));
    }

    public int Port { get; }

    /// <summary>An amqp:// URI, as the AppHost gives it.</summary>
    public string ConnectionString => $"amqp://{LocalRabbitMQ.User}:{_password}@127.0.0.1:{Port}/";

    public async Task InitializeAsync()
    {
        await _epmd.StartAsync();
        await StartBrokerAsync();
    }

    private async Task StartBrokerAsync()
    {
        using (await BootTurns.TakeAsync("rabbitmq", atOnce: 2)) await _broker.StartAsync();
    }

    /// <summary>Stops the broker; its epmd keeps running, as it would beside a broker that restarts.</summary>
    public Task StopAsync() => _broker.StopAsync();

    /// <summary>Starts the broker again after <see cref="StopAsync"/>, on the same port and data.</summary>
    public Task StartAgainAsync() => StartBrokerAsync();

    public async Task DisposeAsync()
    {
        await _broker.DisposeAsync();
        await _epmd.DisposeAsync();
        _folder.Dispose();
    }
}
