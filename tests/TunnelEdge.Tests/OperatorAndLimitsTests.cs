using System.Net.Sockets;
using System.Net;
using System.Text;
using Spokes.Contracts.Tunnels.V1;
using Spokes.TestSupport;

namespace Spokes.TunnelEdge.Tests;

/// <summary>The operator's tables, the admin key, and the limits that protect the edge from visitors.</summary>
public sealed class OperatorAndLimitsTests : IAsyncLifetime
{
    private EdgeHarness _edge = null!;
    private LocalServices _local = null!;

    public async Task InitializeAsync()
    {
        _local = await LocalServices.StartAsync();
        _edge = await EdgeHarness.StartAsync(new Dictionary<string, object>
        {
            ["tunOptions"] = new { maxPoolSize = 2, maxPorts = 1, maxConnections = 2 },
            ["limits"] = new { requestHeadersTimeout = "00:00:02", maxRequestHeadersTotalSize = 4096, maxRequestLineSize = 1024 },
        });
    }

    public async Task DisposeAsync()
    {
        await Teardown.DisposeAsync(_edge, _local);
    }

    [Fact]
    public async Task The_tables_have_packetriots_columns_and_only_expand_shows_whole_tokens()
    {
        (await _edge.SpokesAsync("registration", "create", "--description", "for the laptop")).AssertSuccess();
        var registrations = (await _edge.SpokesAsync("registration", "ls")).AssertSuccess().Rows();
        Assert.Equal(["ID", "Token", "Description", "Uses", "Created"], registrations[0]);
        Assert.Equal("for the laptop", registrations[1][2]);
        Assert.Matches("^[a-z0-9]{40}$", registrations[1][1]);

        var created = (await _edge.SpokesAsync("token", "create", "--hostname", "kiosk")).AssertSuccess().Rows();
        Assert.Equal(["ID", "Token", "Hostname", "Tunnel ID", "Active", "Created"], created[0]);
        var token = created[1][1];
        Assert.Matches("^[a-z0-9]{40}$", token);
        Assert.Equal($"kiosk.{EdgeHarness.Domain}", created[1][2]);

        var shortened = (await _edge.SpokesAsync("token", "ls")).AssertSuccess();
        Assert.DoesNotContain(token, shortened.Output);
        Assert.Equal(token[..8] + "…", shortened.Rows()[1][1]);
        Assert.Equal(token, (await _edge.SpokesAsync("token", "ls", "--expand")).AssertSuccess().Rows()[1][1]);

        // A client configured with the operator's token (`configure --key`) serves the token's hostname.
        (await _edge.TunnelAsync("kiosk", "configure", "--hostname", $"127.0.0.1:{_edge.TunnelPort}", "--key", token, "--pin", _edge.Pin)).AssertSuccess();
        (await _edge.TunnelAsync("kiosk", "tunnel", "http", "add", "--domain", $"kiosk.{EdgeHarness.Domain}", "--http", _local.HttpPort.ToString())).AssertSuccess();
        var allocated = (await _edge.TunnelAsync("kiosk", "tunnel", "tcp", "allocate")).AssertSuccess();
        var port = allocated.Output.Split(' ')[1];
        (await _edge.TunnelAsync("kiosk", "tunnel", "tcp", "forward", "--port", port, "--dstport", _local.EchoPort.ToString())).AssertSuccess();
        var secondPort = await _edge.TunnelAsync("kiosk", "tunnel", "tcp", "allocate");
        Assert.Equal(1, secondPort.ExitCode);
        Assert.Contains("NoPortsLeft", secondPort.Error);
        await _edge.RunClientAsync("kiosk");

        var tunnels = (await _edge.SpokesAsync("tunnel", "ls", "--online")).AssertSuccess().Rows();
        Assert.Equal(["ID", "User", "Hostname", "Online", "Address", "Uptime", "Daily", "Monthly", "Created"], tunnels[0]);
        var kiosk = Assert.Single(tunnels.Skip(1));
        Assert.Equal([$"kiosk.{EdgeHarness.Domain}", "yes", "127.0.0.1"], kiosk[2..5]);

        var ports = (await _edge.SpokesAsync("port", "ls")).AssertSuccess().Rows();
        Assert.Equal(["Port", "User", "Tunnel ID", "Online", "Uptime", "Bandwidth"], ports[0]);
        Assert.Equal([port, "", created[1][3], "yes"], ports[1][..4]);

        var wrongKey = await _edge.SpokesAsync("token", "ls", "--key", "not-the-key");
        Assert.Equal(1, wrongKey.ExitCode);
        Assert.Contains("admin key is missing or wrong", wrongKey.Error);
        var unknown = await _edge.SpokesAsync("token", "rm", "--id", "999");
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("no authentication token 999", unknown.Error);

        // No token appears in the edge's log, whatever happened above.
        Assert.DoesNotContain(token, _edge.Log);
        Assert.DoesNotContain(registrations[1][1], _edge.Log);
    }

    private async Task<string> RawRequestAsync(string request, TimeSpan? wait = null)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, _edge.HttpPort);
        await socket.SendAsync(Encoding.ASCII.GetBytes(request));
        var received = new StringBuilder();
        var buffer = new byte[8192];
        using var timeout = new CancellationTokenSource(wait ?? TimeSpan.FromSeconds(10));
        try
        {
            int read;
            while ((read = await socket.ReceiveAsync(buffer, timeout.Token)) > 0) received.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }
        catch (SocketException)
        {
        }
        return received.ToString();
    }

    [Fact]
    public async Task Oversized_headers_long_request_lines_and_slow_clients_are_refused()
    {
        var headers = await RawRequestAsync($"GET / HTTP/1.1\r\nHost: a.{EdgeHarness.Domain}\r\nX-Big: {new string('a', 5000)}\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 431", headers);

        var line = await RawRequestAsync($"GET /{new string('a', 2000)} HTTP/1.1\r\nHost: a.{EdgeHarness.Domain}\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 414", line);

        // Headers that never finish: the edge gives up after requestHeadersTimeout (2 s here), long before the test's 15 s.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var slow = await RawRequestAsync($"GET / HTTP/1.1\r\nHost: a.{EdgeHarness.Domain}\r\nX-Slow: ", TimeSpan.FromSeconds(15));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(12), $"the slow client was kept {clock.Elapsed.TotalSeconds:F1} s");
        Assert.True(slow.Length == 0 || slow.StartsWith("HTTP/1.1 408"), slow);
    }

    [Fact]
    public async Task A_client_pinned_to_another_certificate_refuses_the_edge_and_its_registration_stays_unused()
    {
        var registration = await _edge.Admin.CreateRegistrationAsync(new CreateRegistrationRequest { Description = "pinned" }, _edge.AdminHeaders);
        // The edge's pin with its first byte changed.
        var otherPin = (_edge.Pin.StartsWith("00", StringComparison.Ordinal) ? "01" : "00") + _edge.Pin[2..];
        var refused = await _edge.TunnelAsync("pinned", "configure", "--hostname", $"127.0.0.1:{_edge.TunnelPort}",
            "--registration", registration.Token, "--pin", otherPin);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("Could not reach the edge", refused.Error);
        Assert.False(File.Exists(_edge.ClientConfig("pinned")));

        (await _edge.TunnelAsync("pinned", "configure", "--hostname", $"127.0.0.1:{_edge.TunnelPort}",
            "--registration", registration.Token, "--pin", _edge.Pin)).AssertSuccess();
    }

    [Fact]
    public async Task A_tunnel_carries_at_most_its_connection_cap_and_other_visitors_are_turned_away()
    {
        var port = "";
        await _edge.StartClientAsync("capped", "capped", async name =>
        {
            port = (await _edge.TunnelAsync(name, "tunnel", "tcp", "allocate")).AssertSuccess().Output.Split(' ')[1];
            (await _edge.TunnelAsync(name, "tunnel", "tcp", "forward", "--port", port, "--dstport", _local.EchoPort.ToString())).AssertSuccess();
        });
        var open = new List<Socket>();
        for (var i = 0; i < 2; i++)
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(IPAddress.Loopback, int.Parse(port));
            await socket.SendAsync(new byte[] { 7 });
            Assert.Equal(1, await socket.ReceiveAsync(new byte[1]));
            open.Add(socket);
        }
        for (var refused = 0; refused < 2; refused++)
        {
            using var over = new Socket(SocketType.Stream, ProtocolType.Tcp);
            await over.ConnectAsync(IPAddress.Loopback, int.Parse(port));
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            int read;
            try
            {
                await over.SendAsync(new byte[] { 7 });
                read = await over.ReceiveAsync(new byte[1], timeout.Token);
            }
            catch (SocketException)
            {
                read = 0;
            }
            Assert.Equal(0, read);
        }
        // The operator hears of it, once a minute rather than once per visitor.
        const string warning = "carries its cap of 2 visitor connections";
        await _edge.WaitForLogAsync(warning, TimeSpan.FromSeconds(5));
        Assert.Single(_edge.Log.Split('\n'), line => line.Contains(warning));
        open[0].Dispose();
        await Task.Delay(300);
        using var fourth = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await fourth.ConnectAsync(IPAddress.Loopback, int.Parse(port));
        await fourth.SendAsync(new byte[] { 9 });
        Assert.Equal(1, await fourth.ReceiveAsync(new byte[1]));
        foreach (var socket in open) socket.Dispose();
    }
}
