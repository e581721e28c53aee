using Spokes.AppHost.Hosting;
using Xunit;

namespace Spokes.TestSupport;

/// <summary>A real redis-server (with a password) for a test class: <c>IClassFixture&lt;RedisServer&gt;</c>.</summary>
public sealed class RedisServer : IAsyncLifetime
{
    public LocalServer Server { get; private set; } = null!;

    /// <summary>StackExchange.Redis syntax, exactly as the AppHost injects it.</summary>
    public string ConnectionString => Server.ConnectionString;

    public async Task InitializeAsync() => Server = await LocalServer.StartAsync(b => b.AddRedis("redis"));

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>A real RabbitMQ broker (own epmd, user and password) for a test class.</summary>
public sealed class RabbitMqServer : IAsyncLifetime
{
    public LocalServer Server { get; private set; } = null!;

    /// <summary>An amqp:// URI, exactly as the AppHost injects it.</summary>
    public string ConnectionString => Server.ConnectionString;

    public async Task InitializeAsync() => Server = await LocalServer.StartAsync(b => b.AddRabbitMQ("rabbitmq"));

    public async Task DisposeAsync() => await Server.DisposeAsync();
}
