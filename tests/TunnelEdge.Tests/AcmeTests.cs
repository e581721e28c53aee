using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Spokes.Contracts.Tunnels.V1;

namespace Spokes.TunnelEdge.Tests;

/// <summary>
/// The edge's own ACME client against pebble (Let's Encrypt's test CA) that validates for real: TLS-ALPN-01 on the
/// edge's HTTPS port and HTTP-01 on its HTTP port, names resolved to 127.0.0.1 by pebble's test DNS.
/// </summary>
public sealed class AcmeTests
{
    private const string TunnelHost = "app." + EdgeHarness.Domain;

    [Fact]
    public async Task The_edge_gets_serves_and_renews_certificates_for_its_domain_and_owned_tunnel_hostnames_only()
    {
        await using var local = await LocalServices.StartAsync();
        await using var pebble = new PebbleServer();
        await using var edge = EdgeHarness.Create(new()
        {
            ["acme"] = new { directory = pebble.DirectoryUrl, directoryCaFile = pebble.ServerCaFile, challenges = new[] { "tls-alpn-01" } },
        });
        await pebble.StartAsync(edge.HttpPort, edge.HttpsPort);
        await edge.StartEdgeAsync();
        var root = await pebble.RootAsync();

        // The domain's certificate is ordered at start.
        var domainCertificate = await IssuedCertificateAsync(edge, root, EdgeHarness.Domain);

        // A tunnel hostname gets one when a visitor's handshake first names it; the visitor's HTTPS request then goes through.
        await edge.StartClientAsync("app", "app", async client =>
            (await edge.TunnelAsync(client, "tunnel", "http", "add", "--domain", TunnelHost, "--destination", "127.0.0.1", "--http", local.HttpPort.ToString()))
                .AssertSuccess());
        var tunnelCertificate = await IssuedCertificateAsync(edge, root, TunnelHost);
        using (var https = HttpsClient(edge, root))
        {
            Assert.Equal($"hello from {TunnelHost}", await https.GetStringAsync($"https://{TunnelHost}/"));
        }

        // A name no token owns gets nothing ordered.
        var nobody = "nobody." + EdgeHarness.Domain;
        Assert.False(Trusted(await ServedAsync(edge, nobody), root));
        var certificates = await WaitForAsync(edge, list => list.RefusedOnDemand >= 1);
        Assert.DoesNotContain(certificates.Certificates, c => c.Name == nobody);
        Assert.Equal(["valid", "valid"], certificates.Certificates.Where(c => c.Name is EdgeHarness.Domain or TunnelHost).Select(c => c.State));
        Assert.DoesNotContain(nobody, pebble.Log);

        // Restarted and told its certificates are near expiry (renewBefore longer than they are valid): the stored ones
        // are served, then renewed, this time through HTTP-01.
        await edge.StopEdgeAsync();
        var config = JsonNode.Parse(File.ReadAllText(edge.ConfigFile))!;
        config["acme"]!["renewBefore"] = "36500.00:00:00";
        config["acme"]!["challenges"] = new JsonArray("http-01");
        File.WriteAllText(edge.ConfigFile, config.ToJsonString());
        await edge.StartEdgeAsync();
        foreach (var (name, before) in new[] { (EdgeHarness.Domain, domainCertificate), (TunnelHost, tunnelCertificate) })
        {
            var renewed = await WaitForServedAsync(edge, name, c => Trusted(c, root) && c.SerialNumber != before.SerialNumber);
            Assert.True(renewed.NotAfter >= before.NotAfter);
        }
        var cli = (await edge.SpokesAsync("cert", "ls")).AssertSuccess();
        Assert.Contains(cli.Rows(), row => row[0] == TunnelHost && row[1] == "valid");
    }

    private static async Task<X509Certificate2> IssuedCertificateAsync(EdgeHarness edge, X509Certificate2 root, string name) =>
        await WaitForServedAsync(edge, name, c => Trusted(c, root));

    private static async Task<X509Certificate2> WaitForServedAsync(EdgeHarness edge, string name, Func<X509Certificate2, bool> done)
    {
        for (var attempt = 0; attempt < 150; attempt++)
        {
            var served = await ServedAsync(edge, name);
            if (done(served)) return served;
            await Task.Delay(200);
        }
        var list = await edge.Admin.ListCertificatesAsync(new Empty(), edge.AdminHeaders);
        throw new TimeoutException($"No certificate for {name} in 30 s: {list}\n{edge.Log}");
    }

    private static async Task<CertificateList> WaitForAsync(EdgeHarness edge, Func<CertificateList, bool> done)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var list = await edge.Admin.ListCertificatesAsync(new Empty(), edge.AdminHeaders);
            if (done(list)) return list;
            await Task.Delay(100);
        }
        throw new TimeoutException("The edge's certificate list did not change.");
    }

    /// <summary>The leaf (and its chain, kept for <see cref="Trusted"/>) the edge's HTTPS port serves for an SNI name.</summary>
    private static async Task<X509Certificate2> ServedAsync(EdgeHarness edge, string name)
    {
        using var socket = new TcpClient();
        await socket.ConnectAsync(IPAddress.Loopback, edge.HttpsPort);
        X509Certificate2Collection? chain = null;
        await using var tls = new SslStream(socket.GetStream(), false, (_, _, presented, _) =>
        {
            chain = [.. presented!.ChainElements.Select(e => X509CertificateLoader.LoadCertificate(e.Certificate.RawData))];
            return true;
        });
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = name });
        var leaf = X509CertificateLoader.LoadCertificate(tls.RemoteCertificate!.GetRawCertData());
        ServedChains[leaf.Thumbprint] = chain ?? [];
        return leaf;
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, X509Certificate2Collection> ServedChains = new();

    /// <summary>Whether the certificate chains up to pebble's root with the intermediates the edge sent.</summary>
    private static bool Trusted(X509Certificate2 leaf, X509Certificate2 root)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(root);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (ServedChains.TryGetValue(leaf.Thumbprint, out var sent)) chain.ChainPolicy.ExtraStore.AddRange(sent);
        return chain.Build(leaf);
    }

    /// <summary>A client trusting only pebble's root, connecting every name to the edge's HTTPS port.</summary>
    private static HttpClient HttpsClient(EdgeHarness edge, X509Certificate2 root) => new(new SocketsHttpHandler
    {
        ConnectCallback = async (_, cancellationToken) =>
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync(IPAddress.Loopback, edge.HttpsPort, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        },
        SslOptions = new SslClientAuthenticationOptions
        {
            CertificateChainPolicy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                CustomTrustStore = { root },
                RevocationMode = X509RevocationMode.NoCheck,
            },
        },
    }) { Timeout = TimeSpan.FromSeconds(30) };
}
