using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Net;
using System.Text;
using Spokes.Contracts.Tunnels.V1;
using Spokes.TestSupport;
using Spokes.TunnelEdge.Access;

namespace Spokes.TunnelEdge.Tests;

/// <summary>
/// A tunnel's visitor controls, set with `spokes access`, against real visitors: HTTP and TCP visitors from
/// 127.0.0.1 and from 127.0.0.2 (both loopback, so CIDR rules can tell them apart), and the HTTP basic password.
/// </summary>
public sealed class VisitorAccessTests : IAsyncLifetime
{
    private static readonly IPAddress Other = IPAddress.Parse("127.0.0.2");
    private const string Host = "guarded." + EdgeHarness.Domain;
    private EdgeHarness _edge = null!;
    private LocalServices _local = null!;

    public async Task InitializeAsync()
    {
        _local = await LocalServices.StartAsync();
        _edge = await EdgeHarness.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await Teardown.DisposeAsync(_edge, _local);
    }

    [Fact]
    public async Task Cidr_lists_hold_for_http_and_tcp_visitors_and_the_password_for_http_visitors()
    {
        var port = 0;
        await _edge.StartClientAsync("guarded", "guarded", async client =>
        {
            (await _edge.TunnelAsync(client, "tunnel", "http", "add", "--domain", Host, "--destination", "127.0.0.1", "--http", _local.HttpPort.ToString()))
                .AssertSuccess();
            var allocated = (await _edge.TunnelAsync(client, "tunnel", "tcp", "allocate")).AssertSuccess();
            port = int.Parse(allocated.Output.Split(' ')[1]);
            (await _edge.TunnelAsync(client, "tunnel", "tcp", "forward", "--port", port.ToString(), "--destination", "127.0.0.1", "--dstport", _local.EchoPort.ToString()))
                .AssertSuccess();
        });
        var tunnel = (await _edge.Admin.ListTunnelsAsync(new ListTunnelsRequest(), _edge.AdminHeaders)).Tunnels.Single(t => t.Hostname == Host).Id.ToString();
        var payload = Encoding.ASCII.GetBytes("ping");

        Assert.Equal(HttpStatusCode.OK, await VisitHttpAsync(IPAddress.Loopback));
        Assert.Equal(payload, await VisitTcpAsync(IPAddress.Loopback, port, payload));

        // Denied: 127.0.0.1 is refused, 127.0.0.2 still gets in.
        (await _edge.SpokesAsync("access", "set", "--tunnel", tunnel, "--deny", "127.0.0.1/32")).AssertSuccess();
        Assert.Equal(HttpStatusCode.Forbidden, await VisitHttpAsync(IPAddress.Loopback));
        Assert.Empty(await VisitTcpAsync(IPAddress.Loopback, port, payload));
        Assert.Equal(HttpStatusCode.OK, await VisitHttpAsync(Other));
        Assert.Equal(payload, await VisitTcpAsync(Other, port, payload));

        // Allowed: only 127.0.0.2 gets in; a deny inside the allowed network still wins.
        (await _edge.SpokesAsync("access", "set", "--tunnel", tunnel, "--allow", "127.0.0.2")).AssertSuccess();
        Assert.Equal(HttpStatusCode.Forbidden, await VisitHttpAsync(IPAddress.Loopback));
        Assert.Empty(await VisitTcpAsync(IPAddress.Loopback, port, payload));
        Assert.Equal(HttpStatusCode.OK, await VisitHttpAsync(Other));
        Assert.Equal(payload, await VisitTcpAsync(Other, port, payload));
        (await _edge.SpokesAsync("access", "set", "--tunnel", tunnel, "--allow", "127.0.0.0/8", "--deny", "127.0.0.2")).AssertSuccess();
        Assert.Equal(HttpStatusCode.Forbidden, await VisitHttpAsync(Other));
        Assert.Equal(HttpStatusCode.OK, await VisitHttpAsync(IPAddress.Loopback));

        // A password: HTTP visitors need it, TCP visitors are only held to the lists; the lists are kept.
        (await _edge.SpokesAsync("access", "set", "--tunnel", tunnel, "--password-user", "friend", "--password", "correct horse")).AssertSuccess();
        Assert.Equal(HttpStatusCode.Unauthorized, await VisitHttpAsync(IPAddress.Loopback));
        Assert.Equal(HttpStatusCode.Unauthorized, await VisitHttpAsync(IPAddress.Loopback, ("friend", "wrong horse")));
        Assert.Equal(HttpStatusCode.Unauthorized, await VisitHttpAsync(IPAddress.Loopback, ("enemy", "correct horse")));
        Assert.Equal(HttpStatusCode.OK, await VisitHttpAsync(IPAddress.Loopback, ("friend", "correct horse")));
        Assert.Equal(HttpStatusCode.Forbidden, await VisitHttpAsync(Other, ("friend", "correct horse")));
        Assert.Equal(payload, await VisitTcpAsync(IPAddress.Loopback, port, payload));
        var shown = (await _edge.SpokesAsync("access", "show", "--tunnel", tunnel)).AssertSuccess();
        Assert.Equal([tunnel, "127.0.0.0/8", "127.0.0.2/32", "yes (user friend)"], shown.Rows()[1]);
        Assert.DoesNotContain("correct horse", shown.Output);

        // Cleared: everyone is back; bad input changes nothing.
        var refused = await _edge.SpokesAsync("access", "set", "--tunnel", tunnel, "--allow", "10.0.0.1/8");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("is not a CIDR", refused.Error);
        Assert.Equal(1, (await _edge.SpokesAsync("access", "set", "--tunnel", tunnel, "--password", "short")).ExitCode);
        Assert.Equal(1, (await _edge.SpokesAsync("access", "show", "--tunnel", "999")).ExitCode);
        (await _edge.SpokesAsync("access", "set", "--tunnel", tunnel, "--clear-lists", "--clear-password")).AssertSuccess();
        Assert.Equal(HttpStatusCode.OK, await VisitHttpAsync(Other));
        Assert.Equal(HttpStatusCode.OK, await VisitHttpAsync(IPAddress.Loopback));
    }

    [Theory]
    [InlineData("10.0.0.0/8", "10.200.3.4", true)]
    [InlineData("10.0.0.0/8", "11.0.0.1", false)]
    [InlineData("2001:db8::/32", "2001:db8::1", true)]
    [InlineData("192.168.1.7", "192.168.1.7", true)]
    [InlineData("192.168.1.7", "::ffff:192.168.1.7", true)]
    [InlineData("192.168.1.7", "192.168.1.8", false)]
    public void An_allow_list_admits_only_its_networks(string network, string visitor, bool admitted)
    {
        Assert.True(TunnelAccess.TryParseNetwork(network, out var parsed));
        Assert.Equal(admitted, new TunnelAccess([parsed], [], null, null).Admits(IPAddress.Parse(visitor)));
    }

    [Theory]
    [InlineData("10.0.0.1/8")]
    [InlineData("10.0.0.0/33")]
    [InlineData("example.com")]
    [InlineData("")]
    public void Networks_that_are_not_cidrs_are_refused(string text) => Assert.False(TunnelAccess.TryParseNetwork(text, out _));

    [Fact]
    public void A_password_is_stored_salted_and_checked_with_its_user()
    {
        var hash = TunnelAccess.HashPassword("correct horse");
        Assert.NotEqual(hash, TunnelAccess.HashPassword("correct horse"));
        var access = new TunnelAccess([], [], "friend", hash);
        Assert.True(access.PasswordMatches("friend", "correct horse"));
        Assert.False(access.PasswordMatches("friend", "correct horsE"));
        Assert.False(access.PasswordMatches("Friend", "correct horse"));
    }

    private async Task<HttpStatusCode> VisitHttpAsync(IPAddress from, (string User, string Password)? credentials = null)
    {
        using var http = new HttpClient(new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                socket.Bind(new IPEndPoint(from, 0));
                await socket.ConnectAsync(IPAddress.Loopback, _edge.HttpPort, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            },
        });
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://{Host}/");
        if (credentials is var (user, password))
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
        using var response = await http.SendAsync(request);
        if (response.StatusCode == HttpStatusCode.Unauthorized) Assert.StartsWith("Basic realm=", response.Headers.WwwAuthenticate.ToString());
        return response.StatusCode;
    }

    /// <summary>What comes back through the port from a visitor at <paramref name="from"/>; nothing when the edge closes the connection.</summary>
    private static async Task<byte[]> VisitTcpAsync(IPAddress from, int port, byte[] payload)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(from, 0));
        await socket.ConnectAsync(IPAddress.Loopback, port);
        var received = new MemoryStream();
        try
        {
            await socket.SendAsync(payload);
            socket.Shutdown(SocketShutdown.Send);
            var buffer = new byte[4096];
            int read;
            while ((read = await socket.ReceiveAsync(buffer)) > 0) received.Write(buffer, 0, read);
        }
        catch (SocketException)
        {
        }
        return received.ToArray();
    }
}
