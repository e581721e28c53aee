using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Spokes.Contracts.Tunnels.V1;
using Spokes.TestSupport;

namespace Spokes.TunnelEdge.Tests;

/// <summary>
/// `tunOptions.localtunnel`: npm <c>localtunnel</c> 2.0.2, a client nobody here wrote, publishes a local app through
/// the edge with a token in its host URL; the edge's rules hold for it as for its own client.
/// </summary>
public sealed class LocalTunnelTests : IAsyncLifetime
{
    private static readonly string LtProgram = Path.Combine(BuildLayout.RepositoryRoot, "tests", "conformance", "node_modules", "localtunnel", "bin", "lt.js");

    private LocalServices _local = null!;
    private EdgeHarness _edge = null!;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };

    public async Task InitializeAsync()
    {
        Assert.True(File.Exists(LtProgram), $"{LtProgram} is missing: run `npm ci` in tests/conformance (tests/run.sh does).");
        _local = await LocalServices.StartAsync();
        _edge = await EdgeHarness.StartAsync(new Dictionary<string, object>
        {
            ["tunOptions"] = new { maxPoolSize = 3, maxPorts = 3, maxConnections = 64, localtunnel = true },
        });
    }

    public async Task DisposeAsync()
    {
        await Teardown.DisposeAsync(_edge, _local);
        _http.Dispose();
    }

    private async Task<AuthToken> TokenAsync(string hostname) =>
        await _edge.Admin.CreateTokenAsync(new CreateTokenRequest { Hostname = hostname }, _edge.AdminHeaders);

    /// <summary>`lt --port APP --host EDGE/localtunnel/TOKEN --local-host 127.0.0.1 [--subdomain S]`, once it printed its URL.</summary>
    private async Task<(ManagedProcess Process, ConcurrentQueue<string> Output)> StartLtAsync(string token, params string[] options)
    {
        var output = new ConcurrentQueue<string>();
        var process = ManagedProcess.Start(new ProcessSpec("node", [LtProgram, "--port", _local.HttpPort.ToString(),
            "--host", $"http://127.0.0.1:{_edge.HttpPort}/localtunnel/{token}", "--local-host", "127.0.0.1", .. options])
        {
            WorkingDirectory = _edge.Folder,
        }, "tunnel-edge-test", output.Enqueue);
        for (var attempt = 0; attempt < 300 && !output.Any(l => l.Contains("your url is:")); attempt++) await Task.Delay(100);
        Assert.Contains(output, l => l.Contains("your url is:"));
        return (process, output);
    }

    private async Task<HttpResponseMessage> VisitAsync(string hostname, string path = "/")
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{_edge.HttpPort}{path}");
        request.Headers.Host = hostname;
        return await _http.SendAsync(request);
    }

    [Fact]
    public async Task Lt_publishes_a_local_app_by_host_and_counts_as_the_tokens_tunnel_online()
    {
        var token = await TokenAsync("lt");
        var (lt, output) = await StartLtAsync(token.Token);
        try
        {
            Assert.Contains(output, l => l.Contains($"your url is: http://lt.{EdgeHarness.Domain}:{_edge.HttpPort}"));

            // More visitors at once than the client keeps connections (3): they queue for its redials.
            var pages = await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
            {
                using var response = await VisitAsync($"lt.{EdgeHarness.Domain}");
                return (response.StatusCode, await response.Content.ReadAsStringAsync());
            }));
            // lt rewrites Host (--local-host) in the first request on each connection only; the edge's proxy reuses them.
            Assert.All(pages, page => Assert.Contains(page, new[] { (HttpStatusCode.OK, "hello from 127.0.0.1"), (HttpStatusCode.OK, $"hello from lt.{EdgeHarness.Domain}") }));

            var body = LocalServices.Payload(3 * 1024 * 1024);
            using (var request = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{_edge.HttpPort}/sha256") { Content = new ByteArrayContent(body) })
            {
                request.Headers.Host = $"lt.{EdgeHarness.Domain}";
                using var response = await _http.SendAsync(request);
                Assert.Equal($"{body.Length} {Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(body))}", await response.Content.ReadAsStringAsync());
            }

            var tunnel = await _edge.TunnelAsync(token.TunnelId);
            Assert.True(tunnel.Online);
            Assert.Equal("127.0.0.1", tunnel.Address);
            Assert.DoesNotContain(token.Token, _edge.Log);
        }
        finally
        {
            await lt.StopAsync(TimeSpan.FromSeconds(5));
        }

        // With its client gone, the session goes offline and the host is unknown again.
        for (var attempt = 0; attempt < 300 && (await _edge.TunnelAsync(token.TunnelId)).Online; attempt++) await Task.Delay(100);
        Assert.False((await _edge.TunnelAsync(token.TunnelId)).Online);
        using var after = await VisitAsync($"lt.{EdgeHarness.Domain}");
        Assert.Equal(HttpStatusCode.NotFound, after.StatusCode);
    }

    [Fact]
    public async Task The_api_refuses_unknown_tokens_and_other_subdomains_and_only_the_client_may_connect_its_sockets()
    {
        using (var unknown = await _http.GetAsync($"http://127.0.0.1:{_edge.HttpPort}/localtunnel/not-a-token/?new"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, unknown.StatusCode);
            Assert.Contains("not valid", (await unknown.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("message").GetString());
        }
        var token = await TokenAsync("mine");
        using (var other = await _http.GetAsync($"http://127.0.0.1:{_edge.HttpPort}/localtunnel/{token.Token}/yours"))
        {
            Assert.Equal(HttpStatusCode.Conflict, other.StatusCode);
            Assert.Contains($"mine.{EdgeHarness.Domain}", (await other.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("message").GetString());
        }
        Assert.False((await _edge.TunnelAsync(token.TunnelId)).Online);

        // The raw protocol, as lt speaks it: the grant names a port in the edge's range.
        using var granted = await _http.GetFromJsonAsync<JsonDocument>($"http://127.0.0.1:{_edge.HttpPort}/localtunnel/{token.Token}/mine");
        var grant = granted!.RootElement;
        Assert.Equal("mine", grant.GetProperty("id").GetString());
        Assert.Equal(3, grant.GetProperty("max_conn_count").GetInt32());
        var port = grant.GetProperty("port").GetInt32();
        Assert.InRange(port, _edge.PortRangeBegin, _edge.PortRangeBegin + 19);

        // A socket from another address (127.0.0.2 is loopback too) is closed at once and never gets a visitor.
        using var stranger = new Socket(SocketType.Stream, ProtocolType.Tcp);
        stranger.Bind(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 0));
        await stranger.ConnectAsync(IPAddress.Loopback, port);
        using var closing = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        Assert.Equal(0, await stranger.ReceiveAsync(new byte[1], SocketFlags.None, closing.Token));

        // The session holds no connection of its client, so a visitor waits for one and gets a 502, not the stranger.
        using var visit = await VisitAsync($"mine.{EdgeHarness.Domain}");
        Assert.Equal(HttpStatusCode.BadGateway, visit.StatusCode);
    }

    [Fact]
    public async Task Removing_the_token_takes_the_lt_tunnel_down_and_the_api_off_when_the_edge_does_not_enable_it()
    {
        var token = await TokenAsync("gone");
        var (lt, _) = await StartLtAsync(token.Token, "--subdomain", "gone");
        try
        {
            using (var before = await VisitAsync($"gone.{EdgeHarness.Domain}")) Assert.Equal(HttpStatusCode.OK, before.StatusCode);
            (await _edge.SpokesAsync("token", "rm", "--id", token.Id.ToString())).AssertSuccess();
            using var after = await VisitAsync($"gone.{EdgeHarness.Domain}");
            Assert.Equal(HttpStatusCode.NotFound, after.StatusCode);
            using var again = await _http.GetAsync($"http://127.0.0.1:{_edge.HttpPort}/localtunnel/{token.Token}/?new");
            Assert.Equal(HttpStatusCode.Forbidden, again.StatusCode);
        }
        finally
        {
            await lt.StopAsync(TimeSpan.FromSeconds(5));
        }

        await using var closed = await EdgeHarness.StartAsync();
        var other = await closed.Admin.CreateTokenAsync(new CreateTokenRequest { Hostname = "off" }, closed.AdminHeaders);
        using var off = await _http.GetAsync($"http://127.0.0.1:{closed.HttpPort}/localtunnel/{other.Token}/?new");
        Assert.Equal(HttpStatusCode.NotFound, off.StatusCode);
    }
}
