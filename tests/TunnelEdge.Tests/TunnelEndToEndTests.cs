using System.Net.Sockets;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Spokes.Contracts.Tunnels.V1;
using Spokes.Contracts.Tunnels;
using Spokes.TestSupport;
using Spokes.TunnelClient;

namespace Spokes.TunnelEdge.Tests;

/// <summary>
/// The edge, `spokes-tunnel` clients and `spokes` as separate processes on loopback, with a local HTTP app and a
/// TCP echo server behind the tunnels: what a visitor, a tunnel user and an operator see.
/// </summary>
public sealed class TunnelEndToEndTests : IAsyncLifetime
{
    private EdgeHarness _edge = null!;
    private LocalServices _local = null!;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(60) };

    public async Task InitializeAsync()
    {
        _local = await LocalServices.StartAsync();
        _edge = await EdgeHarness.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await Teardown.DisposeAsync(_edge, _local);
        _http.Dispose();
    }

    private Task<TunnelClientProcess> StartHttpClientAsync(string name, params string[] domains) =>
        _edge.StartClientAsync(name, name, async client =>
        {
            foreach (var domain in domains)
            {
                (await _edge.TunnelAsync(client, "tunnel", "http", "add", "--domain", domain, "--destination", "127.0.0.1", "--http", _local.HttpPort.ToString()))
                    .AssertSuccess();
            }
        });

    /// <summary>Allocates a port for a client and forwards it to the echo server; returns the port.</summary>
    private async Task<int> AllocateEchoPortAsync(string client)
    {
        var allocated = (await _edge.TunnelAsync(client, "tunnel", "tcp", "allocate")).AssertSuccess();
        var port = int.Parse(allocated.Output.Split(' ')[1]);
        (await _edge.TunnelAsync(client, "tunnel", "tcp", "forward", "--port", port.ToString(), "--destination", "127.0.0.1", "--dstport", _local.EchoPort.ToString()))
            .AssertSuccess();
        return port;
    }

    private async Task<HttpResponseMessage> VisitAsync(string host, string path = "/", HttpContent? body = null)
    {
        using var request = new HttpRequestMessage(body is null ? HttpMethod.Get : HttpMethod.Post, $"http://127.0.0.1:{_edge.HttpPort}{path}") { Content = body };
        request.Headers.Host = host;
        return await _http.SendAsync(request);
    }

    private static long TunnelIdOf(string configFile) =>
        System.Text.Json.JsonDocument.Parse(File.ReadAllText(configFile)).RootElement.GetProperty("tunnelId").GetInt64();

    [Fact]
    public async Task Http_is_routed_by_host_including_wildcards_and_unknown_hosts_get_a_plain_404()
    {
        await StartHttpClientAsync("web", $"web.{EdgeHarness.Domain}", $"*.web.{EdgeHarness.Domain}");

        using var exact = await VisitAsync($"web.{EdgeHarness.Domain}");
        Assert.Equal(HttpStatusCode.OK, exact.StatusCode);
        Assert.Equal($"hello from web.{EdgeHarness.Domain}", await exact.Content.ReadAsStringAsync());

        using var wildcard = await VisitAsync($"api.web.{EdgeHarness.Domain}", "/headers");
        var headers = System.Text.Json.JsonDocument.Parse(await wildcard.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal($"api.web.{EdgeHarness.Domain}", headers.GetProperty("host").GetString());
        Assert.Equal("127.0.0.1", headers.GetProperty("forwardedFor").GetString());
        Assert.Equal("http", headers.GetProperty("forwardedProto").GetString());

        using var unknown = await VisitAsync($"nobody.{EdgeHarness.Domain}");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.StartsWith("text/html", unknown.Content.Headers.ContentType!.ToString());
        Assert.Contains("No tunnel serves nobody.tunnels.test", await unknown.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Tcp_is_relayed_by_allocated_port()
    {
        var client = await _edge.StartClientAsync("tcp", "tcp", async name => await AllocateEchoPortAsync(name));
        var port = int.Parse((await _edge.TunnelAsync("tcp", "info")).Output.Split('\n').Single(l => l.StartsWith("TCP:")).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
        Assert.InRange(port, _edge.PortRangeBegin, _edge.PortRangeBegin + 19);

        var payload = Encoding.ASCII.GetBytes("ping through the tunnel");
        Assert.Equal(payload, await LocalServices.EchoThroughAsync(port, payload));
        await client.WaitForLineAsync("tcp port", TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Many_concurrent_visitors_each_get_their_own_answer()
    {
        var port = 0;
        await _edge.StartClientAsync("busy", "busy", async name =>
        {
            (await _edge.TunnelAsync(name, "tunnel", "http", "add", "--domain", $"busy.{EdgeHarness.Domain}", "--http", _local.HttpPort.ToString())).AssertSuccess();
            port = await AllocateEchoPortAsync(name);
        });

        var http = Enumerable.Range(0, 40).Select(async i =>
        {
            using var response = await VisitAsync($"busy.{EdgeHarness.Domain}", "/sha256", new ByteArrayContent(LocalServices.Payload(1000 + i)));
            return (i, await response.Content.ReadAsStringAsync());
        });
        var tcp = Enumerable.Range(0, 20).Select(async i => (i, await LocalServices.EchoThroughAsync(port, LocalServices.Payload(50_000 + i))));

        foreach (var (i, answer) in await Task.WhenAll(http))
            Assert.Equal($"{1000 + i} {Convert.ToHexString(SHA256.HashData(LocalServices.Payload(1000 + i)))}", answer);
        foreach (var (i, echoed) in await Task.WhenAll(tcp)) Assert.Equal(LocalServices.Payload(50_000 + i), echoed);
    }

    [Fact]
    public async Task Large_bodies_cross_the_tunnel_intact_both_ways()
    {
        await StartHttpClientAsync("large", $"large.{EdgeHarness.Domain}");
        var upload = LocalServices.Payload(32 * 1024 * 1024);

        using var posted = await VisitAsync($"large.{EdgeHarness.Domain}", "/sha256", new ByteArrayContent(upload));
        Assert.Equal($"{upload.Length} {Convert.ToHexString(SHA256.HashData(upload))}", await posted.Content.ReadAsStringAsync());

        const long download = 64L * 1024 * 1024;
        using var fetched = await VisitAsync($"large.{EdgeHarness.Domain}", $"/bytes/{download}");
        Assert.Equal(download, (await fetched.Content.ReadAsByteArrayAsync()).LongLength);
    }

    [Fact]
    public async Task The_client_reconnects_after_an_edge_restart_and_the_tunnel_keeps_its_state()
    {
        var client = await StartHttpClientAsync("again", $"again.{EdgeHarness.Domain}");
        var tunnelId = TunnelIdOf(_edge.ClientConfig("again"));
        await Task.Delay(1500);
        var before = await _edge.TunnelAsync(tunnelId);

        await _edge.StopEdgeAsync();
        await _edge.StartEdgeAsync();
        await client.WaitForLineAsync(" online (", TimeSpan.FromSeconds(30), occurrences: 2);

        using var response = await VisitAsync($"again.{EdgeHarness.Domain}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var after = await _edge.TunnelAsync(tunnelId);
        Assert.True(after.Online);
        Assert.Equal(before.Hostname, after.Hostname);
        Assert.True(after.UptimeSeconds >= before.UptimeSeconds, $"uptime went from {before.UptimeSeconds} to {after.UptimeSeconds}");
        Assert.True(after.DailyBytes >= before.DailyBytes);
    }

    [Fact]
    public async Task Removing_a_token_shuts_its_tunnel_down_at_once_and_clean_fixes_what_it_reports()
    {
        var port = 0;
        var client = await _edge.StartClientAsync("gone", "gone", async name =>
        {
            (await _edge.TunnelAsync(name, "tunnel", "http", "add", "--domain", $"gone.{EdgeHarness.Domain}", "--http", _local.HttpPort.ToString())).AssertSuccess();
            port = await AllocateEchoPortAsync(name);
        });
        var tunnelId = TunnelIdOf(_edge.ClientConfig("gone"));
        using var open = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await open.ConnectAsync(IPAddress.Loopback, port);
        await open.SendAsync(new byte[] { 1, 2, 3 });
        Assert.Equal(3, await open.ReceiveAsync(new byte[3]));

        var tokenId = (await _edge.Admin.ListTokensAsync(new Empty(), _edge.AdminHeaders)).Tokens.Single(t => t.TunnelId == tunnelId).Id;
        var removed = (await _edge.SpokesAsync("token", "rm", "--id", tokenId.ToString())).AssertSuccess();
        Assert.Contains("Removed 1 authentication token", removed.Output);

        // The client is told and stops; the open relay is cut; visitors find nothing.
        Assert.Equal(1, await client.Process.Exited.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Contains("shut the tunnel down", client.Output);
        using (var cut = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
            Assert.Equal(0, await ReceiveOrZeroAsync(open, cut.Token));
        using (var response = await VisitAsync($"gone.{EdgeHarness.Domain}")) Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        await Assert.ThrowsAsync<SocketException>(() => new Socket(SocketType.Stream, ProtocolType.Tcp).ConnectAsync(IPAddress.Loopback, port));

        // The token cannot start the tunnel again.
        var restarted = await _edge.RunClientAsync("gone", waitOnline: false);
        Assert.Equal(1, await restarted.Process.Exited.WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.Contains("InvalidToken", restarted.Output);

        // clean --check lists; clean fixes exactly that; afterwards nothing is left to fix and the port is free again.
        var check = (await _edge.SpokesAsync("clean", "--check")).AssertSuccess();
        Assert.Contains(check.Rows(), r => r is ["tunnel", var id, _] && id == tunnelId.ToString());
        Assert.Contains(check.Rows(), r => r is ["port", var p, _] && p == port.ToString());
        var found = check.Rows().Count - 1;
        Assert.Contains($"Issues Found (tunnels + ports): {found}", check.Output);
        Assert.Contains(port, (await _edge.Admin.ListPortsAsync(new Empty(), _edge.AdminHeaders)).Ports.Select(p => p.Port_));

        var clean = (await _edge.SpokesAsync("clean")).AssertSuccess();
        Assert.Contains($"Issues Fixed (tunnels + ports): {found}", clean.Output);
        Assert.Contains("Issues Found (tunnels + ports): 0", (await _edge.SpokesAsync("clean", "--check")).Output);
        Assert.DoesNotContain(port, (await _edge.Admin.ListPortsAsync(new Empty(), _edge.AdminHeaders)).Ports.Select(p => p.Port_));
        Assert.Equal("Deleted", (await _edge.TunnelAsync(tunnelId)).State);
        var listed = await _edge.Admin.ListTunnelsAsync(new ListTunnelsRequest(), _edge.AdminHeaders);
        Assert.DoesNotContain(listed.Tunnels, t => t.Id == tunnelId);
    }

    private static async Task<int> ReceiveOrZeroAsync(Socket socket, CancellationToken cancellationToken)
    {
        try
        {
            return await socket.ReceiveAsync(new byte[16], cancellationToken);
        }
        catch (SocketException)
        {
            return 0;
        }
    }

    /// <summary>A suite published through the edge asks, before its client connects, where it will be reachable.</summary>
    [Fact]
    public async Task A_token_holder_learns_its_hostname_and_public_url_before_connecting_and_a_wrong_token_learns_nothing()
    {
        var token = await _edge.Admin.CreateTokenAsync(new CreateTokenRequest { Hostname = "owned" }, _edge.AdminHeaders);
        var edge = $"127.0.0.1:{_edge.TunnelPort}";

        var identified = await EdgeConnection.AskAsync<Identified>(edge, _edge.Pin, new Identify(token.Token), CancellationToken.None);
        Assert.Equal(new Identified(token.TunnelId, $"owned.{EdgeHarness.Domain}", $"http://owned.{EdgeHarness.Domain}:{_edge.HttpPort}"), identified);

        var refused = await Assert.ThrowsAsync<ClientException>(() => EdgeConnection.AskAsync<Identified>(edge, _edge.Pin, new Identify("not-a-token"), CancellationToken.None));
        Assert.Contains(TunnelErrorCodes.InvalidToken, refused.Message);
    }

    [Fact]
    public async Task A_hostname_or_port_cannot_be_taken_over_even_while_its_owner_is_offline()
    {
        var owner = await StartHttpClientAsync("owner", $"owner.{EdgeHarness.Domain}", "shop.example.org");
        var ownerPort = await AllocateEchoPortAsync("owner");
        await owner.StopAsync(TimeSpan.FromSeconds(5));

        // The same tunnel hostname cannot be registered again.
        var registration = await _edge.Admin.CreateRegistrationAsync(new CreateRegistrationRequest { Description = "thief" }, _edge.AdminHeaders);
        var again = await _edge.TunnelAsync("thief", "configure", "--hostname", $"127.0.0.1:{_edge.TunnelPort}", "--registration", registration.Token,
            "--tunnel-hostname", "owner", "--pin", _edge.Pin);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("HostnameTaken", again.Error);

        // Another tunnel may claim neither the owner's custom domain, nor a name of the edge's domain, nor its port.
        foreach (var (domain, code) in new[] { ("shop.example.org", "HostnameTaken"), ($"owner.{EdgeHarness.Domain}", "HostnameTaken"), ($"x.owner.{EdgeHarness.Domain}", "HostnameTaken") })
        {
            var name = $"thief{Math.Abs(domain.GetHashCode())}";
            (await _edge.TunnelAsync(name, "configure", "--hostname", $"127.0.0.1:{_edge.TunnelPort}", "--registration", registration.Token, "--pin", _edge.Pin)).AssertSuccess();
            (await _edge.TunnelAsync(name, "tunnel", "http", "add", "--domain", domain, "--http", _local.HttpPort.ToString())).AssertSuccess();
            var thief = await _edge.RunClientAsync(name, waitOnline: false);
            Assert.Equal(1, await thief.Process.Exited.WaitAsync(TimeSpan.FromSeconds(20)));
            Assert.Contains(code, thief.Output);
        }
        var portThief = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(_edge.ClientConfig($"thief{Math.Abs("shop.example.org".GetHashCode())}")))!;
        portThief["https"] = new System.Text.Json.Nodes.JsonArray();
        portThief["ports"] = new System.Text.Json.Nodes.JsonArray(new System.Text.Json.Nodes.JsonObject { ["port"] = ownerPort, ["destination"] = "127.0.0.1", ["dstPort"] = _local.EchoPort });
        File.WriteAllText(_edge.ClientConfig("porthief"), portThief.ToJsonString());
        var stealing = await _edge.RunClientAsync("porthief", waitOnline: false);
        Assert.Equal(1, await stealing.Process.Exited.WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.Contains("PortNotAllocated", stealing.Output);

        // The owner comes back and has everything.
        await _edge.RunClientAsync("owner");
        using var response = await VisitAsync("shop.example.org");
        Assert.Equal("hello from shop.example.org", await response.Content.ReadAsStringAsync());
        Assert.Equal("x"u8.ToArray(), await LocalServices.EchoThroughAsync(ownerPort, "x"u8.ToArray()));
    }

    [Fact]
    public async Task Bandwidth_is_counted_within_one_percent_of_the_bytes_relayed()
    {
        var port = 0;
        await _edge.StartClientAsync("meter", "meter", async name => port = await AllocateEchoPortAsync(name));
        var tunnelId = TunnelIdOf(_edge.ClientConfig("meter"));
        var payload = LocalServices.Payload(8 * 1024 * 1024);

        Assert.Equal(payload.Length, (await LocalServices.EchoThroughAsync(port, payload)).Length);
        Assert.Equal(payload.Length, (await LocalServices.EchoThroughAsync(port, payload)).Length);

        const long expected = 4L * 8 * 1024 * 1024; // two round trips, both directions
        var tunnel = await _edge.TunnelAsync(tunnelId);
        Assert.InRange(tunnel.DailyBytes, expected * 0.99, expected * 1.01);
        Assert.InRange(tunnel.MonthlyBytes, expected * 0.99, expected * 1.01);
        var portRow = (await _edge.Admin.ListPortsAsync(new Empty(), _edge.AdminHeaders)).Ports.Single(p => p.Port_ == port);
        Assert.InRange(portRow.MonthlyBytes, expected * 0.99, expected * 1.01);
    }
}
