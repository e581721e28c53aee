using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Spokes.Contracts.Tunnels;
using Spokes.TunnelEdge.Store;
using Spokes.TunnelEdge.Tunnels;

namespace Spokes.TunnelEdge.Ssh;

/// <summary>
/// The SSH front door (<c>listen.ssh</c>): a stock <c>ssh -R</c> publishes a local app without installing a client.
/// The host key (ECDSA P-256) is made once and kept in the data folder, so clients can pin it.
/// </summary>
public sealed class SshFrontDoor(EdgeOptions options, EdgeStore store, TunnelRegistry registry, TrafficMeter meter, ILoggerFactory loggers)
    : BackgroundService
{
    public const string HostKeyFile = "ssh-host-key.pem";

    private readonly ILogger _logger = loggers.CreateLogger<SshFrontDoor>();

    public ECDsa HostKey { get; } = LoadOrCreateHostKey(Path.Combine(options.DataPath, HostKeyFile));

    public EdgeStore Store => store;

    public TunnelRegistry Registry => registry;

    /// <summary>The host visitors of TCP ports connect to, as the edge's users know it.</summary>
    public string PublicTcpHost => options.Domain;

    public string PublicUrl(string domain)
    {
        if (!string.IsNullOrEmpty(options.Listen.Https) && EdgeOptions.TryParseEndPoint(options.Listen.Https, out var https))
            return https.Port == 443 ? $"https://{domain}/" : $"https://{domain}:{https.Port}/";
        EdgeOptions.TryParseEndPoint(options.Listen.Http, out var http);
        return http.Port == 80 ? $"http://{domain}/" : $"http://{domain}:{http.Port}/";
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        EdgeOptions.TryParseEndPoint(options.Listen.Ssh, out var endPoint);
        using var listener = ListeningSocket.Open(endPoint);
        _logger.LogInformation("SSH clients connect to {EndPoint} (host key SHA256:{Fingerprint}).", listener.LocalEndPoint,
            Convert.ToBase64String(SHA256.HashData(SshTransport.HostKeyBlob(HostKey))).TrimEnd('='));
        var connections = new List<Task>();
        while (!stoppingToken.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync(stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            catch (SocketException)
            {
                continue;
            }
            socket.NoDelay = true;
            var connection = new SshConnection(this, new NetworkStream(socket, ownsSocket: true), (IPEndPoint)socket.RemoteEndPoint!, loggers.CreateLogger<SshConnection>());
            connections.RemoveAll(c => c.IsCompleted);
            connections.Add(connection.RunAsync(stoppingToken));
        }
        await Task.WhenAll(connections);
    }

    /// <summary>The grant of an active token; null for anything else.</summary>
    public async Task<TokenGrant?> GrantAsync(string token) =>
        token.Length is > 0 and <= 256 && await store.FindTokenAsync(token) is { Active: true } grant ? grant : null;

    /// <summary>
    /// What a <c>tcpip-forward</c> becomes. Bind port 80 or 443: an HTTP route — the tunnel's own hostname when the
    /// address is empty, <c>localhost</c> or an IP address, else the address (a bare label is under the edge's
    /// domain), which the tunnel must be allowed to claim. Any other port: a TCP port allocated to the tunnel — the
    /// one asked for, or for port 0 one of its allocated ports this session does not serve yet, else a new one.
    /// </summary>
    /// <exception cref="TunnelRefusedException">The tunnel may not have it.</exception>
    public async Task<SshForward> ResolveForwardAsync(TokenGrant grant, string address, uint port, SshTunnelSession? session)
    {
        if (port is 80 or 443)
        {
            var domain = address is "" or "localhost" or "*" || IPAddress.TryParse(address, out _) ? grant.Hostname : Hostnames.Qualify(address, options.Domain);
            if (!Hostnames.IsValid(domain)) throw new TunnelRefusedException(TunnelErrorCodes.InvalidHostname, $"'{domain}' is not a host name.");
            if (!Hostnames.MayClaim(domain, grant.Hostname, options.Domain))
                throw new TunnelRefusedException(TunnelErrorCodes.HostnameTaken, $"{domain} is under {options.Domain} and is not this tunnel's ({grant.Hostname}).");
            if (session?.Serves(domain, null) == true) throw new TunnelRefusedException(TunnelErrorCodes.HostnameTaken, $"{domain} is forwarded already.");
            await store.ClaimDomainsAsync(grant.TunnelId, [domain]);
            return new SshForward(address, port, domain, null);
        }
        var allocated = await store.PortsOfAsync(grant.TunnelId);
        int edgePort;
        if (port == 0)
        {
            edgePort = allocated.Order().FirstOrDefault(p => session?.Serves(null, p) != true);
            if (edgePort == 0) edgePort = await store.AllocatePortAsync(grant.TunnelId, options.PortRange, options.TunOptions.MaxPorts);
        }
        else if (port > 65535 || !allocated.Contains((int)port))
        {
            throw new TunnelRefusedException(TunnelErrorCodes.PortNotAllocated, $"Port {port} is not allocated to this tunnel; ask for port 0 to get one.");
        }
        else if (session?.Serves(null, (int)port) == true)
        {
            throw new TunnelRefusedException(TunnelErrorCodes.PortNotAllocated, $"Port {port} is forwarded already.");
        }
        else
        {
            edgePort = (int)port;
        }
        return new SshForward(address, port == 0 ? (uint)edgePort : port, null, edgePort);
    }

    public SshTunnelSession NewSession(TokenGrant grant, IPEndPoint remote, SshConnection connection, SshForward first) =>
        SshTunnelSession.Create(grant.TunnelId, grant.Hostname, remote, connection, first, options, meter, loggers.CreateLogger<SshTunnelSession>());

    /// <summary>The host key in the data folder; made on first start (readable by the edge only).</summary>
    private static ECDsa LoadOrCreateHostKey(string path)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        if (File.Exists(path))
        {
            key.ImportFromPem(File.ReadAllText(path));
            return key;
        }
        File.WriteAllText(path, key.ExportECPrivateKeyPem());
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return key;
    }
}
