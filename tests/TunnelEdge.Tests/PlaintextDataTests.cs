using System.Net.Sockets;
using System.Net;
using Spokes.Contracts.Tunnels;
using Spokes.TestSupport;

namespace Spokes.TunnelEdge.Tests;

/// <summary>
/// `tunOptions.plaintextData` and `spokes-tunnel start --plaintext-data`: data connections without TLS where both
/// sides opt in, and never anything that carries a token.
/// </summary>
public sealed class PlaintextDataTests : IAsyncLifetime
{
    private LocalServices _local = null!;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(60) };

    public async Task InitializeAsync() => _local = await LocalServices.StartAsync();

    public async Task DisposeAsync()
    {
        await Teardown.DisposeAsync(_local);
        _http.Dispose();
    }

    private static Task<EdgeHarness> StartEdgeAsync(bool plaintextData) => EdgeHarness.StartAsync(new Dictionary<string, object>
    {
        ["tunOptions"] = new { maxPoolSize = 4, maxPorts = 3, maxConnections = 64, plaintextData },
    });

    /// <summary>A client serving <c>NAME.tunnels.test</c> and an echo port, started with <c>--plaintext-data</c>; returns it and the port.</summary>
    private async Task<(TunnelClientProcess Client, int Port)> StartClientAsync(EdgeHarness edge, string name)
    {
        var port = 0;
        var client = await edge.StartClientAsync(name, name, async client =>
        {
            (await edge.TunnelAsync(client, "tunnel", "http", "add", "--domain", $"{name}.{EdgeHarness.Domain}", "--http", _local.HttpPort.ToString())).AssertSuccess();
            var allocated = (await edge.TunnelAsync(client, "tunnel", "tcp", "allocate")).AssertSuccess();
            port = int.Parse(allocated.Output.Split(' ')[1]);
            (await edge.TunnelAsync(client, "tunnel", "tcp", "forward", "--port", port.ToString(), "--dstport", _local.EchoPort.ToString())).AssertSuccess();
        }, "--plaintext-data");
        return (client, port);
    }

    /// <summary>A visit by Host and a 4 MiB echo through the port: both must come back whole.</summary>
    private async Task AssertTrafficFlowsAsync(EdgeHarness edge, string name, int port)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{edge.HttpPort}/");
        request.Headers.Host = $"{name}.{EdgeHarness.Domain}";
        using var response = await _http.SendAsync(request);
        Assert.Equal($"hello from {name}.{EdgeHarness.Domain}", await response.Content.ReadAsStringAsync());

        var payload = LocalServices.Payload(4 * 1024 * 1024);
        Assert.Equal(payload, await LocalServices.EchoThroughAsync(port, payload));
    }

    /// <summary>The edge's answer to one message sent on its tunnel port without TLS.</summary>
    private static async Task<TunnelMessage?> AskInTheClearAsync(EdgeHarness edge, TunnelMessage message)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, edge.TunnelPort);
        await using var stream = new NetworkStream(socket);
        await TunnelFraming.WriteAsync(stream, message, CancellationToken.None);
        return await TunnelFraming.ReadAsync(stream, CancellationToken.None);
    }

    [Fact]
    public async Task Where_the_edge_allows_it_data_connections_skip_tls_and_carry_http_and_tcp()
    {
        await using var edge = await StartEdgeAsync(plaintextData: true);
        var (client, port) = await StartClientAsync(edge, "clear");
        // The client's log is written by its own task: the line may follow "online" a moment later.
        await client.WaitForLineAsync("data connections without TLS", TimeSpan.FromSeconds(10));

        await AssertTrafficFlowsAsync(edge, "clear", port);
    }

    [Fact]
    public async Task Tokens_never_cross_in_the_clear_and_an_edge_that_does_not_allow_plaintext_keeps_tls()
    {
        await using (var allowing = await StartEdgeAsync(plaintextData: true))
        {
            var registration = await allowing.Admin.CreateRegistrationAsync(new Contracts.Tunnels.V1.CreateRegistrationRequest { Description = "clear" },
                allowing.AdminHeaders);
            var token = await allowing.Admin.CreateTokenAsync(new Contracts.Tunnels.V1.CreateTokenRequest { Hostname = "clear" }, allowing.AdminHeaders);
            TunnelMessage[] secrets = [new Hello(token.Token, "1", "test", "x64", [], []), new Register(registration.Token, null, null), new Allocate(token.Token)];
            foreach (var message in secrets)
            {
                var answer = Assert.IsType<TunnelError>(await AskInTheClearAsync(allowing, message));
                Assert.Equal("Only data connections may skip TLS.", answer.Message);
            }
            var tunnels = await allowing.Admin.ListTunnelsAsync(new Contracts.Tunnels.V1.ListTunnelsRequest { All = true }, allowing.AdminHeaders);
            Assert.DoesNotContain(tunnels.Tunnels, t => t.Online);
            Assert.Equal(0, (await allowing.Admin.ListRegistrationsAsync(new Contracts.Tunnels.V1.Empty(), allowing.AdminHeaders))
                .Registrations.Single().Uses);
        }

        await using var refusing = await StartEdgeAsync(plaintextData: false);
        var refused = Assert.IsType<TunnelError>(await AskInTheClearAsync(refusing, new Data("session", "secret")));
        Assert.Equal("This edge takes TLS connections only.", refused.Message);

        var (client, port) = await StartClientAsync(refusing, "kept");
        await client.WaitForLineAsync("data connections with TLS (the edge does not allow plaintext)", TimeSpan.FromSeconds(10));
        await AssertTrafficFlowsAsync(refusing, "kept", port);
    }
}
