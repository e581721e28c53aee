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

    /// <summary>
    /// A wildcard certificate through DNS-01: the operator's hook publishes the TXT record in pebble-challtestsrv's DNS
    /// (its HTTP API), which pebble queries. Any name under the domain is then served by it. A renewal whose hook fails
    /// keeps the wildcard served, and the operator sees the hook's own error in `spokes cert ls`; so does a hook that is
    /// not there at all.
    /// </summary>
    [Fact]
    public async Task A_wildcard_certificate_is_issued_through_the_dns_hook_and_a_failing_hook_keeps_the_previous_one_visibly()
    {
        await using var pebble = new PebbleServer();
        var hook = Path.Combine(pebble.Folder, "dns-hook.sh");
        var calls = Path.Combine(pebble.Folder, "dns-hook.log");
        File.WriteAllText(hook, $"""
            #!/bin/sh
            echo "$1 $2" >> '{calls}'
            case "$1" in
              set) exec curl -sf -d "{"{"}\"host\":\"$2.\",\"value\":\"$3\"{"}"}" http://127.0.0.1:{pebble.ChallengeManagementPort}/set-txt ;;
              clear) exec curl -sf -d "{"{"}\"host\":\"$2.\"{"}"}" http://127.0.0.1:{pebble.ChallengeManagementPort}/clear-txt ;;
            esac
            exit 2
            """);
        File.SetUnixFileMode(hook, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        const string wildcard = "*." + EdgeHarness.Domain;
        await using var edge = EdgeHarness.Create(new()
        {
            ["acme"] = new { directory = pebble.DirectoryUrl, directoryCaFile = pebble.ServerCaFile, challenges = new[] { "tls-alpn-01" }, wildcards = new[] { wildcard }, dnsHook = hook },
        });
        await pebble.StartAsync(edge.HttpPort, edge.HttpsPort);
        await edge.StartEdgeAsync();
        var root = await pebble.RootAsync();

        var issued = await IssuedCertificateAsync(edge, root, "anything." + EdgeHarness.Domain);
        Assert.Contains(wildcard, issued.GetNameInfo(X509NameType.DnsName, false) + " " + string.Join(' ', SubjectAlternativeNames(issued)));
        Assert.Equal(issued.Thumbprint, (await ServedAsync(edge, "other." + EdgeHarness.Domain)).Thumbprint);
        var record = $"_acme-challenge.{EdgeHarness.Domain}";
        Assert.Equal([$"set {record}", $"clear {record}"], File.ReadAllLines(calls));

        // The DNS provider fails at the next renewal: the wildcard is still served, and the operator sees why it was not renewed.
        await edge.StopEdgeAsync();
        File.WriteAllText(hook, "#!/bin/sh\necho 'the DNS provider refused the API key' >&2\nexit 3\n");
        var config = JsonNode.Parse(File.ReadAllText(edge.ConfigFile))!;
        config["acme"]!["renewBefore"] = "36500.00:00:00";
        File.WriteAllText(edge.ConfigFile, config.ToJsonString());
        await edge.StartEdgeAsync();
        var failed = (await WaitForAsync(edge, list => list.Certificates.Any(c => c.Name == wildcard && c.State == "renewal failed"), attempts: 1200)).Certificates.Single(c => c.Name == wildcard);
        Assert.Contains("exited with 3: the DNS provider refused the API key", failed.LastError);
        Assert.Equal(issued.SerialNumber, failed.Serial, ignoreCase: true);
        Assert.Equal(issued.Thumbprint, (await ServedAsync(edge, "anything." + EdgeHarness.Domain)).Thumbprint);
        var cli = (await edge.SpokesAsync("cert", "ls")).AssertSuccess();
        Assert.Contains(cli.Rows(), row => row[0] == wildcard && row[1] == "renewal failed" && row[5].Contains("the DNS provider refused"));

        // A hook that is not there fails the same way, and the edge keeps running.
        await edge.StopEdgeAsync();
        config["acme"]!["dnsHook"] = Path.Combine(pebble.Folder, "no-such-hook");
        File.WriteAllText(edge.ConfigFile, config.ToJsonString());
        await edge.StartEdgeAsync();
        failed = (await WaitForAsync(edge, list => list.Certificates.Any(c => c.Name == wildcard && c.State == "renewal failed" && c.LastError.Contains("no-such-hook")), attempts: 1200))
            .Certificates.Single(c => c.Name == wildcard);
        Assert.Contains("did not start", failed.LastError);
        Assert.Equal(issued.Thumbprint, (await ServedAsync(edge, "anything." + EdgeHarness.Domain)).Thumbprint);
    }

    private static IEnumerable<string> SubjectAlternativeNames(X509Certificate2 certificate) =>
        certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().SelectMany(e => e.EnumerateDnsNames());

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

    /// <param name="attempts">Tenths of a second to wait: a renewal at start first renews the other names, one order at a time.</param>
    private static async Task<CertificateList> WaitForAsync(EdgeHarness edge, Func<CertificateList, bool> done, int attempts = 100)
    {
        for (var attempt = 0; attempt < attempts; attempt++)
        {
            var list = await edge.Admin.ListCertificatesAsync(new Empty(), edge.AdminHeaders);
            if (done(list)) return list;
            await Task.Delay(100);
        }
        throw new TimeoutException($"The edge's certificate list did not change: {await edge.Admin.ListCertificatesAsync(new Empty(), edge.AdminHeaders)}\n{edge.Log}");
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
