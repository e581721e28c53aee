using System.Net;
using Spokes.TestSupport;

namespace Spokes.January.Tests;

/// <summary>
/// January as the AppHost runs it — its own process, with Redis and RabbitMQ — pointed at a page server that
/// <c>Egress:Allow</c> names, a DNS server the test controls, and two loopback listeners that nothing may reach.
/// </summary>
public sealed class JanuaryServer : IAsyncLifetime
{
    private readonly TemporaryFolder _folder = new("spokes-january");
    private readonly int _port = Ports.Free();
    private LocalProgram _january = null!;

    public RedisServer Redis { get; } = new();

    public RabbitMqServer RabbitMq { get; } = new();

    public PageServer Pages { get; } = new();

    public TestDnsServer Dns { get; } = new();

    public CountingListener Target { get; } = new(IPAddress.Loopback);

    public CountingListener TargetV6 { get; } = new(IPAddress.IPv6Loopback);

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };

    public string Url => $"http://127.0.0.1:{_port}";

    public int? ProcessId => _january.ProcessId;

    public async Task InitializeAsync()
    {
        await Task.WhenAll(Redis.InitializeAsync(), RabbitMq.InitializeAsync(), Pages.StartAsync());
        _january = Start("january", _port);
        await _january.StartAsync();
    }

    /// <summary>Another January on the same Redis, RabbitMQ and pages, with settings of its own.</summary>
    public LocalProgram Start(string name, int port, params (string Key, string Value)[] settings)
    {
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
            ["ConnectionStrings__redis"] = Redis.ConnectionString,
            ["ConnectionStrings__rabbitmq"] = RabbitMq.ConnectionString,
            ["Egress__Allow"] = $"127.0.0.1:{Pages.Port}",
            ["Egress__DnsServer"] = Dns.EndPoint.ToString(),
            // Public addresses may be reached on the target's port too, so only the address check can refuse it.
            ["Egress__Ports"] = $"80,443,{Target.Port}",
            ["January__FetchTimeout"] = "00:00:03",
            ["January__YouTubeOEmbed"] = Pages.Url("/youtube-oembed"),
            ["January__RateLimit__Enabled"] = "false",
        };
        foreach (var (key, value) in settings) environment[key] = value;
        return LocalProgram.Service(name, "Spokes.January", port, environment, _folder.Path);
    }

    public async Task DisposeAsync()
    {
        await Teardown.DisposeAsync(_january, Pages, Dns);
        await RabbitMq.DisposeAsync();
        await Redis.DisposeAsync();
        Target.Dispose();
        TargetV6.Dispose();
        Http.Dispose();
        _folder.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class JanuaryCollection : ICollectionFixture<JanuaryServer>
{
    public const string Name = "January";
}
