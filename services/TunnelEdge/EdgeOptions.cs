using System.Net;

namespace Spokes.TunnelEdge;

/// <summary>
/// The edge's settings, under the keys Packetriot's Spokes uses (<c>domain</c>, <c>dataPath</c>,
/// <c>database.path</c>, <c>portRange</c>, <c>tunOptions</c>) plus listen addresses, certificates and limits.
/// Read from a JSON file (<c>--config PATH</c>, <c>SPOKES_EDGE_CONFIG</c>, or <c>/etc/spokes/config.json</c>)
/// and from the section <c>TunnelEdge</c> of the usual configuration (the AppHost sets <c>TunnelEdge__*</c>).
/// </summary>
public sealed class EdgeOptions
{
    public const string Section = "TunnelEdge";
    public const string DefaultConfigFile = "/etc/spokes/config.json";

    /// <summary>The public domain: tunnels get hostnames under it (DNS: a wildcard record to this edge).</summary>
    public string Domain { get; set; } = "localhost";

    public string DataPath { get; set; } = "/var/lib/spokes";

    public DatabaseOptions Database { get; set; } = new();

    public PortRangeOptions PortRange { get; set; } = new();

    public TunOptions TunOptions { get; set; } = new();

    public ListenOptions Listen { get; set; } = new();

    public TlsOptions Tls { get; set; } = new();

    public LimitOptions Limits { get; set; } = new();

    public Acme.AcmeOptions Acme { get; set; } = new();

    /// <summary>The admin API's key; when empty, one is made and kept in <c>DATAPATH/admin.key</c>.</summary>
    public string? AdminKey { get; set; }

    /// <summary>How often bandwidth and uptime are written to the database (in one transaction).</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often the edge runs <c>spokes clean</c>'s housekeeping by itself.</summary>
    public TimeSpan HousekeepingInterval { get; set; } = TimeSpan.FromHours(1);

    public string DatabaseFile => Path.IsPathRooted(Database.Path) ? Database.Path : Path.Combine(DataPath, Database.Path);

    public void Validate()
    {
        if (!Hostnames.IsValid(Domain)) throw new InvalidOperationException($"TunnelEdge: domain '{Domain}' is not a host name.");
        if (PortRange.Begin is < 1 or > 65535 || PortRange.End < PortRange.Begin || PortRange.End > 65535)
            throw new InvalidOperationException($"TunnelEdge: portRange {PortRange.Begin}-{PortRange.End} is not a range of TCP ports.");
        if (TunOptions.MaxPoolSize is < 1 or > 100) throw new InvalidOperationException("TunnelEdge: tunOptions.maxPoolSize must be 1 to 100.");
        if (TunOptions.IdlePoolSize is < 0 or > 100) throw new InvalidOperationException("TunnelEdge: tunOptions.idlePoolSize must be 0 to 100.");
        if (TunOptions.PoolIdleTimeout <= TimeSpan.Zero) throw new InvalidOperationException("TunnelEdge: tunOptions.poolIdleTimeout must be positive.");
        if (TunOptions.MaxPorts < 0) throw new InvalidOperationException("TunnelEdge: tunOptions.maxPorts must be 0 or more.");
        if (TunOptions.MaxConnections < 1) throw new InvalidOperationException("TunnelEdge: tunOptions.maxConnections must be 1 or more.");
        foreach (var (name, address) in new[] { ("listen.http", Listen.Http), ("listen.https", Listen.Https), ("listen.tunnel", Listen.Tunnel), ("listen.admin", Listen.Admin), ("listen.dashboard", Listen.Dashboard) })
        {
            if (!string.IsNullOrEmpty(address) && !TryParseEndPoint(address, out _))
                throw new InvalidOperationException($"TunnelEdge: {name} '{address}' is not an address:port.");
        }
        if (!IPAddress.TryParse(Listen.TcpAddress, out _)) throw new InvalidOperationException($"TunnelEdge: listen.tcpAddress '{Listen.TcpAddress}' is not an IP address.");
        if (!string.IsNullOrEmpty(Listen.Https) && Tls.Certificates.Count == 0 && !Acme.Enabled)
            throw new InvalidOperationException("TunnelEdge: listen.https needs acme.directory or at least one certificate in tls.certificates.");
        Acme.Validate();
    }

    /// <summary>
    /// Where visitors reach a hostname: over the public HTTPS listener when there is one, else over HTTP, with the
    /// listener's port unless it is the scheme's default.
    /// </summary>
    public string PublicUrlOf(string hostname)
    {
        var (scheme, listener, standardPort) = string.IsNullOrEmpty(Listen.Https) ? ("http", Listen.Http, 80) : ("https", Listen.Https, 443);
        return TryParseEndPoint(listener, out var endPoint) && endPoint.Port != standardPort
            ? $"{scheme}://{hostname}:{endPoint.Port}"
            : $"{scheme}://{hostname}";
    }

    /// <summary>Parses <c>ADDRESS:PORT</c>, where ADDRESS may be <c>*</c> or <c>0.0.0.0</c> (every interface).</summary>
    public static bool TryParseEndPoint(string value, out IPEndPoint endPoint)
    {
        endPoint = null!;
        var separator = value.LastIndexOf(':');
        if (separator < 0 || !int.TryParse(value[(separator + 1)..], out var port) || port is < 0 or > 65535) return false;
        var host = value[..separator].Trim('[', ']');
        var address = host is "*" or "+" or "" ? IPAddress.Any : host == "localhost" ? IPAddress.Loopback : IPAddress.TryParse(host, out var parsed) ? parsed : null;
        if (address is null) return false;
        endPoint = new IPEndPoint(address, port);
        return true;
    }
}

public sealed class DatabaseOptions
{
    /// <summary>Relative paths are under <see cref="EdgeOptions.DataPath"/>.</summary>
    public string Path { get; set; } = "spokes.db";
}

public sealed class PortRangeOptions
{
    public int Begin { get; set; } = 22000;
    public int End { get; set; } = 22999;
}

public sealed class TunOptions
{
    /// <summary>The most idle data connections the edge holds for one tunnel; a client's extra ones are closed.</summary>
    public int MaxPoolSize { get; set; } = 10;

    /// <summary>
    /// Idle data connections a client keeps ready from the start (at most <see cref="MaxPoolSize"/>). The pool
    /// grows toward <see cref="MaxPoolSize"/> while visitors arrive faster than it refills, and connections above
    /// this many are closed after <see cref="PoolIdleTimeout"/> unused: an idle tunnel costs the edge a control
    /// connection and this many data connections, not a full pool.
    /// </summary>
    public int IdlePoolSize { get; set; } = 2;

    /// <summary>How long a data connection above <see cref="IdlePoolSize"/> may sit unused in the pool.</summary>
    public TimeSpan PoolIdleTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>TCP ports one tunnel may reserve; 0 = none.</summary>
    public int MaxPorts { get; set; } = 20;

    /// <summary>Visitor connections one tunnel may carry at once; more are refused.</summary>
    public int MaxConnections { get; set; } = 200;

    /// <summary>
    /// Lets clients that ask for it open their data connections without TLS (rathole's <c>tcp</c> transport):
    /// for an edge and clients on one trusted network, where encryption only costs CPU. Registration, port
    /// allocation and control connections, which carry tokens, always use TLS.
    /// </summary>
    public bool PlaintextData { get; set; }

    /// <summary>
    /// Serves npm <c>localtunnel</c> clients (<c>lt --host https://EDGE/localtunnel/TOKEN</c>): a token's tunnel goes
    /// online over plain TCP connections to a port of <see cref="EdgeOptions.PortRange"/>, HTTP only. Off by default:
    /// the token travels in a URL, and the client's connections are not encrypted.
    /// </summary>
    public bool Localtunnel { get; set; }

    /// <summary>
    /// Carries many visitors over each data connection (clients that can; see <c>ClientSession</c>), so a visitor
    /// costs no TLS handshake; off, each visitor takes a data connection of its own, as before multiplexing.
    /// </summary>
    public bool Multiplex { get; set; } = true;

    /// <summary>The data connections a client opens when its session starts.</summary>
    public int InitialPoolSize => Math.Min(IdlePoolSize, MaxPoolSize);
}

public sealed class ListenOptions
{
    /// <summary>Public HTTP, routed by Host. Empty = off.</summary>
    public string Http { get; set; } = "*:80";

    /// <summary>Public HTTPS (TLS ends here, with <see cref="TlsOptions.Certificates"/>). Empty = off.</summary>
    public string Https { get; set; } = "";

    /// <summary>Where tunnel clients connect (always TLS).</summary>
    public string Tunnel { get; set; } = "*:8443";

    /// <summary>The admin gRPC API (cleartext HTTP/2, admin key): keep it private.</summary>
    public string Admin { get; set; } = "127.0.0.1:7101";

    /// <summary>The SSH front door (<c>ssh -R</c> publishing without a client install); empty: off.</summary>
    public string Ssh { get; set; } = "";

    /// <summary>The operator's web page (HTTP, admin key to sign in): keep it private or behind TLS. Empty = off.</summary>
    public string Dashboard { get; set; } = "";

    /// <summary>The address the allocated TCP ports listen on.</summary>
    public string TcpAddress { get; set; } = "0.0.0.0";
}

public sealed class TlsOptions
{
    /// <summary>Certificates for public HTTPS, chosen by SNI (wildcards allowed).</summary>
    public List<CertificatePaths> Certificates { get; set; } = [];

    /// <summary>The tunnel port's certificate; when absent a self-signed one is made and kept under dataPath (clients pin it).</summary>
    public CertificatePaths? Tunnel { get; set; }
}

public sealed class CertificatePaths
{
    /// <summary>PEM certificate (chain) file.</summary>
    public string Cert { get; set; } = "";

    /// <summary>PEM private key file.</summary>
    public string Key { get; set; } = "";
}

public sealed class LimitOptions
{
    public int MaxRequestHeadersTotalSize { get; set; } = 32 * 1024;
    public int MaxRequestLineSize { get; set; } = 8 * 1024;
    public TimeSpan RequestHeadersTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>A visitor sending a request body slower than this (bytes/s, after a 5 s grace) is cut off.</summary>
    public double MinRequestBodyBytesPerSecond { get; set; } = 240;

    /// <summary>How long a visitor waits for a free data connection of the tunnel.</summary>
    public TimeSpan DataConnectionTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
