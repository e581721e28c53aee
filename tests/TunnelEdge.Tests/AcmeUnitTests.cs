using System.Buffers;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Spokes.TunnelEdge.Acme;

namespace Spokes.TunnelEdge.Tests;

/// <summary>The plain parts of the ACME client: the ClientHello's ALPN, the on-demand limits, the TLS-ALPN-01 certificate.</summary>
public sealed class AcmeUnitTests
{
    [Fact]
    public async Task The_alpn_list_of_a_real_client_hello_is_read_and_a_cut_or_foreign_one_reads_as_none()
    {
        var hello = await ClientHelloBytesAsync(["acme-tls/1"]);
        Assert.True(ClientHello.IsComplete(new ReadOnlySequence<byte>(hello)));
        Assert.Equal(["acme-tls/1"], ClientHello.AlpnProtocols(new ReadOnlySequence<byte>(hello)));
        Assert.Equal(["h2", "http/1.1"], ClientHello.AlpnProtocols(new ReadOnlySequence<byte>(await ClientHelloBytesAsync(["h2", "http/1.1"]))));

        for (var length = 0; length < hello.Length; length += 7)
        {
            var cut = new ReadOnlySequence<byte>(hello.AsMemory(0, length));
            Assert.Equal(length >= 5 && length >= 5 + (hello[3] << 8 | hello[4]), ClientHello.IsComplete(cut));
            // A cut that still holds the ALPN extension may read it; anything else reads as none (and returns).
            Assert.Contains(ClientHello.AlpnProtocols(cut).Count, new[] { 0, 1 });
        }
        Assert.True(ClientHello.IsComplete(new ReadOnlySequence<byte>("GET / HTTP/1.1\r\n"u8.ToArray())));
        Assert.Empty(ClientHello.AlpnProtocols(new ReadOnlySequence<byte>("GET / HTTP/1.1\r\n"u8.ToArray())));
        var lying = (byte[])hello.Clone();
        lying[lying.Length - 1] ^= 0xff;
        _ = ClientHello.AlpnProtocols(new ReadOnlySequence<byte>(lying));
    }

    [Fact]
    public void On_demand_orders_are_limited_per_hour_one_per_name_at_a_time_and_held_back_after_a_failure()
    {
        var now = DateTimeOffset.UnixEpoch;
        var limiter = new OnDemandLimiter(perHour: 2, retryAfterFailure: TimeSpan.FromMinutes(10));
        Assert.True(limiter.TryStart("a.example", now));
        Assert.False(limiter.TryStart("a.example", now));
        limiter.Finished("a.example", succeeded: false, now);
        Assert.False(limiter.TryStart("a.example", now.AddMinutes(5)));
        Assert.True(limiter.TryStart("b.example", now.AddMinutes(5)));
        limiter.Finished("b.example", succeeded: true, now.AddMinutes(5));
        Assert.False(limiter.TryStart("c.example", now.AddMinutes(30)));
        Assert.True(limiter.TryStart("a.example", now.AddMinutes(61)));
    }

    [Fact]
    public void The_tls_alpn_01_certificate_names_the_host_and_carries_the_critical_acme_identifier()
    {
        using var certificate = AcmeChallenges.AlpnCertificateFor("app.example", "token.thumbprint");
        Assert.True(certificate.MatchesHostname("app.example"));
        var extension = certificate.Extensions["1.3.6.1.5.5.7.1.31"]!;
        Assert.True(extension.Critical);
        Assert.Equal([0x04, 0x20, .. SHA256.HashData(Encoding.ASCII.GetBytes("token.thumbprint"))], extension.RawData);
    }

    /// <summary>The first bytes a real .NET TLS client sends offering <paramref name="protocols"/>.</summary>
    private static async Task<byte[]> ClientHelloBytesAsync(string[] protocols)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
        using var server = await listener.AcceptTcpClientAsync();
        var tls = new SslStream(client.GetStream());
        _ = tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "app.example",
            ApplicationProtocols = protocols.Select(p => new SslApplicationProtocol(p)).ToList(),
        }).ContinueWith(_ => { }, TaskScheduler.Default);
        var stream = server.GetStream();
        var header = new byte[5];
        await stream.ReadExactlyAsync(header);
        var body = new byte[header[3] << 8 | header[4]];
        await stream.ReadExactlyAsync(body);
        client.Close();
        return [.. header, .. body];
    }
}
