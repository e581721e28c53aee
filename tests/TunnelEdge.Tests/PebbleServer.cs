using System.Collections.Concurrent;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Spokes.TestSupport;

namespace Spokes.TunnelEdge.Tests;

/// <summary>
/// Let's Encrypt's test CA (Debian's <c>pebble</c>) on loopback ports, resolving every name to 127.0.0.1 through
/// <c>pebble-challtestsrv</c>'s DNS, and validating HTTP-01 and TLS-ALPN-01 against the given edge ports for real.
/// Its own HTTPS certificate is made here; <see cref="ServerCaFile"/> is what the edge trusts for the directory.
/// </summary>
public sealed class PebbleServer : IAsyncDisposable
{
    private readonly TemporaryFolder _folder = new("spokes-pebble");
    private readonly ConcurrentQueue<string> _log = new();
    private ManagedProcess? _dns;
    private ManagedProcess? _pebble;
    private readonly X509Certificate2 _serverCertificate;

    /// <summary>Ports and a server certificate; nothing runs before <see cref="StartAsync"/>.</summary>
    public PebbleServer()
    {
        (Port, ManagementPort, DnsPort, ChallengeManagementPort) = (Ports.Free(), Ports.Free(), Ports.Free(), Ports.Free());
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=pebble test server", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        _serverCertificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(2));
        ServerCaFile = Path.Combine(_folder.Path, "server.pem");
        File.WriteAllText(ServerCaFile, _serverCertificate.ExportCertificatePem());
        File.WriteAllText(Path.Combine(_folder.Path, "server.key"), key.ExportPkcs8PrivateKeyPem());
    }

    /// <param name="httpPort">Where pebble checks HTTP-01 answers (the edge's public HTTP port).</param>
    /// <param name="tlsPort">Where pebble checks TLS-ALPN-01 answers (the edge's public HTTPS port).</param>
    public async Task StartAsync(int httpPort, int tlsPort)
    {
        var config = Path.Combine(_folder.Path, "pebble.json");
        File.WriteAllText(config, JsonSerializer.Serialize(new
        {
            pebble = new
            {
                listenAddress = $"127.0.0.1:{Port}",
                managementListenAddress = $"127.0.0.1:{ManagementPort}",
                certificate = ServerCaFile,
                privateKey = Path.Combine(_folder.Path, "server.key"),
                httpPort = httpPort,
                tlsPort = tlsPort,
                ocspResponderURL = "",
                externalAccountBindingRequired = false,
            },
        }));
        _dns = ManagedProcess.Start(new ProcessSpec("pebble-challtestsrv",
            ["-defaultIPv4", "127.0.0.1", "-defaultIPv6", "", "-dns01", $"127.0.0.1:{DnsPort}", "-management", $"127.0.0.1:{ChallengeManagementPort}",
             "-http01", "", "-https01", "", "-tlsalpn01", ""])
        { WorkingDirectory = _folder.Path }, "tunnel-edge-test", _log.Enqueue);
        _pebble = ManagedProcess.Start(new ProcessSpec("pebble", ["-config", config, "-dnsserver", $"127.0.0.1:{DnsPort}"])
        {
            WorkingDirectory = _folder.Path,
            // No random waits before validating, no nonces refused at random (the client's retry has its own test input),
            // and no valid authorization reused at random: every order is validated, so a renewal runs its challenge (and hook).
            Environment = { ["PEBBLE_VA_NOSLEEP"] = "1", ["PEBBLE_WFE_NONCEREJECT"] = "0", ["PEBBLE_AUTHZREUSE"] = "0" },
        }, "tunnel-edge-test", _log.Enqueue);
        using var http = Client();
        for (var attempt = 0; attempt < 100; attempt++)
        {
            try
            {
                if ((await http.GetAsync(DirectoryUrl)).IsSuccessStatusCode) return;
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"pebble did not start:\n{Log}");
    }

    public int Port { get; }
    public int ManagementPort { get; }
    public int DnsPort { get; }
    public int ChallengeManagementPort { get; }
    public string ServerCaFile { get; }

    /// <summary>A folder of this server's, removed with it (for a test's DNS hook).</summary>
    public string Folder => _folder.Path;
    public string DirectoryUrl => $"https://127.0.0.1:{Port}/dir";
    public string Log => string.Join('\n', _log);

    /// <summary>The root pebble signs with (it makes a new one at every start), from its management API.</summary>
    public async Task<X509Certificate2> RootAsync()
    {
        using var http = Client();
        return X509Certificate2.CreateFromPem(await http.GetStringAsync($"https://127.0.0.1:{ManagementPort}/roots/0"));
    }

    /// <summary>An HTTPS client that trusts pebble's own server certificate.</summary>
    private HttpClient Client() => new(new SocketsHttpHandler
    {
        SslOptions = new SslClientAuthenticationOptions
        {
            RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate?.GetCertHashString() == _serverCertificate.GetCertHashString(),
        },
    }) { Timeout = TimeSpan.FromSeconds(10) };

    public async ValueTask DisposeAsync()
    {
        if (_pebble is not null) await _pebble.StopAsync(TimeSpan.FromSeconds(5));
        if (_dns is not null) await _dns.StopAsync(TimeSpan.FromSeconds(5));
        _serverCertificate.Dispose();
        _folder.Dispose();
    }
}
