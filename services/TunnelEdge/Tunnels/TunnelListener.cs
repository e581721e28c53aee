using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Text;
using Spokes.Contracts.Tunnels;
using Spokes.TunnelEdge.Store;

namespace Spokes.TunnelEdge.Tunnels;

/// <summary>
/// The port tunnel clients connect to (TLS). Each connection's first message says what it is: a
/// registration, a port allocation, a control connection (<see cref="Hello"/>) or a data connection.
/// </summary>
public sealed class TunnelListener(
    EdgeOptions options,
    EdgeCertificates certificates,
    EdgeStore store,
    TunnelRegistry registry,
    TrafficMeter meter,
    ILoggerFactory loggers) : BackgroundService
{
    /// <summary>A connection must finish TLS and say what it is in this time (no slow-loris on the tunnel port).</summary>
    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(10);

    private readonly ILogger _logger = loggers.CreateLogger<TunnelListener>();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        EdgeOptions.TryParseEndPoint(options.Listen.Tunnel, out var endPoint);
        using var listener = ListeningSocket.Open(endPoint);
        _logger.LogInformation("Tunnel clients connect to {EndPoint} (TLS certificate SHA-256 {Fingerprint}).", listener.LocalEndPoint, certificates.TunnelFingerprint);
        while (!stoppingToken.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync(stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }
            _ = HandleAsync(socket, stoppingToken);
        }
    }

    private async Task HandleAsync(Socket socket, CancellationToken stoppingToken)
    {
        socket.NoDelay = true;
        Stream stream = new NetworkStream(socket, ownsSocket: true);
        var handedOver = false;
        try
        {
            TunnelMessage? first;
            using (var handshake = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken))
            {
                handshake.CancelAfter(HandshakeTimeout);
                if (await BeginsWithTlsAsync(socket, handshake.Token))
                {
                    var tls = new SslStream(stream);
                    stream = tls;
                    await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                    {
                        ServerCertificateContext = certificates.TunnelContext,
                        EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                    }, handshake.Token);
                }
                first = await TunnelFraming.ReadAsync(stream, handshake.Token);
            }
            var remote = (IPEndPoint)socket.RemoteEndPoint!;
            switch (first)
            {
                case null:
                    break;
                case Data data when stream is SslStream || options.TunOptions.PlaintextData:
                    handedOver = await OfferDataAsync(data, socket, stream);
                    break;
                case not null when stream is not SslStream:
                    // Tokens never cross the network in the clear.
                    await TunnelFraming.WriteAsync(stream, new TunnelError(TunnelErrorCodes.Malformed, options.TunOptions.PlaintextData
                        ? "Only data connections may skip TLS." : "This edge takes TLS connections only."), stoppingToken);
                    break;
                case Hello hello:
                    handedOver = true;
                    await RunSessionAsync(hello, remote, (SslStream)stream);
                    break;
                case Register register:
                    await ReplyAsync(stream, () => RegisterAsync(register), stoppingToken);
                    break;
                case Allocate allocate:
                    await ReplyAsync(stream, () => AllocateAsync(allocate), stoppingToken);
                    break;
                case Identify identify:
                    await ReplyAsync(stream, () => IdentifyAsync(identify), stoppingToken);
                    break;
                default:
                    await TunnelFraming.WriteAsync(stream, new TunnelError(TunnelErrorCodes.Malformed, $"A connection cannot begin with {first.GetType().Name}."), stoppingToken);
                    break;
            }
        }
        catch (Exception e) when (e is IOException or AuthenticationException or InvalidDataException or OperationCanceledException
                                      or ObjectDisposedException or SocketException)
        {
            _logger.LogDebug("A tunnel connection from {Remote} ended: {Reason}", socket.RemoteEndPoint, e.Message);
        }
        finally
        {
            if (!handedOver) await stream.DisposeAsync();
        }
    }

    /// <summary>
    /// A TLS connection begins with a handshake record (0x16); a plaintext one with a message, whose length's
    /// first byte is 0 (messages are at most 64 KiB).
    /// </summary>
    private static async Task<bool> BeginsWithTlsAsync(Socket socket, CancellationToken cancellationToken)
    {
        var first = new byte[1];
        return await socket.ReceiveAsync(first, SocketFlags.Peek, cancellationToken) == 1 && first[0] == 0x16;
    }

    private static async Task ReplyAsync(Stream stream, Func<Task<TunnelMessage>> answer, CancellationToken cancellationToken)
    {
        TunnelMessage reply;
        try
        {
            reply = await answer();
        }
        catch (TunnelRefusedException refused)
        {
            reply = new TunnelError(refused.Code, refused.Message);
        }
        await TunnelFraming.WriteAsync(stream, reply, cancellationToken);
    }

    private async Task<TunnelMessage> RegisterAsync(Register register)
    {
        var user = string.IsNullOrWhiteSpace(register.User) ? null : register.User.Trim();
        if (user is { Length: > 64 }) throw new TunnelRefusedException(TunnelErrorCodes.Malformed, "A user id is at most 64 characters.");
        var hostname = string.IsNullOrWhiteSpace(register.Hostname)
            ? Hostnames.Generate(options.Domain)
            : CheckedTunnelHostname(register.Hostname, options.Domain);
        var (token, tunnelId, assigned) = await store.RegisterAsync(register.Registration, user, hostname);
        _logger.LogInformation("Tunnel {TunnelId} registered for {Hostname}.", tunnelId, assigned);
        return new Registered(token, tunnelId, assigned);
    }

    /// <summary>A hostname asked for a new tunnel: under the edge's domain (a bare label is put under it).</summary>
    public static string CheckedTunnelHostname(string requested, string domain)
    {
        var hostname = Hostnames.Qualify(requested, domain);
        if (!Hostnames.IsValid(hostname) || hostname.StartsWith("*.", StringComparison.Ordinal) || !hostname.EndsWith("." + domain, StringComparison.Ordinal))
            throw new TunnelRefusedException(TunnelErrorCodes.InvalidHostname, $"'{requested}' is not a host name under {domain}.");
        return hostname;
    }

    private async Task<TunnelMessage> AllocateAsync(Allocate allocate)
    {
        var grant = await GrantAsync(allocate.Token);
        var port = await store.AllocatePortAsync(grant.TunnelId, options.PortRange, options.TunOptions.MaxPorts);
        _logger.LogInformation("Port {Port} allocated to tunnel {TunnelId}.", port, grant.TunnelId);
        return new Allocated(port);
    }

    private async Task<TunnelMessage> IdentifyAsync(Identify identify)
    {
        var grant = await GrantAsync(identify.Token);
        return new Identified(grant.TunnelId, grant.Hostname, options.PublicUrlOf(grant.Hostname));
    }

    private async Task<TokenGrant> GrantAsync(string token) =>
        await store.FindTokenAsync(token) is { Active: true } grant
            ? grant
            : throw new TunnelRefusedException(TunnelErrorCodes.InvalidToken, "The authentication token is not valid (removed or unknown).");

    private async Task RunSessionAsync(Hello hello, IPEndPoint remote, SslStream control)
    {
        ClientSession session;
        try
        {
            var grant = await GrantAsync(hello.Token);
            var domains = hello.Domains.Select(Hostnames.Normalize).Distinct().ToList();
            foreach (var domain in domains)
            {
                if (!Hostnames.IsValid(domain)) throw new TunnelRefusedException(TunnelErrorCodes.InvalidHostname, $"'{domain}' is not a host name.");
                if (!Hostnames.MayClaim(domain, grant.Hostname, options.Domain))
                    throw new TunnelRefusedException(TunnelErrorCodes.HostnameTaken, $"{domain} is under {options.Domain} and is not this tunnel's ({grant.Hostname}).");
            }
            await store.ClaimDomainsAsync(grant.TunnelId, domains);
            var allocated = await store.PortsOfAsync(grant.TunnelId);
            if (hello.Ports.FirstOrDefault(p => !allocated.Contains(p)) is var missing and not 0)
                throw new TunnelRefusedException(TunnelErrorCodes.PortNotAllocated, $"Port {missing} is not allocated to this tunnel.");
            session = new ClientSession(grant.TunnelId, grant.Hostname, remote, control, domains, hello.Ports.ToHashSet(),
                hello.Multiplex && options.TunOptions.Multiplex, options, meter,
                loggers.CreateLogger<ClientSession>());
            await registry.AttachAsync(session);
        }
        catch (TunnelRefusedException refused)
        {
            _logger.LogInformation("A tunnel session from {Remote} was refused: {Reason}", remote, refused.Message);
            await TunnelFraming.WriteAsync(control, new TunnelError(refused.Code, refused.Message), CancellationToken.None);
            await control.DisposeAsync();
            return;
        }

        await registry.RunAsync(session, async () =>
        {
            await store.SetOnlineAsync(session.TunnelId, remote.Address.ToString(), Limit(hello.Version), Limit(hello.Os), Limit(hello.Arch));
            await session.SendAsync(new Welcome(session.TunnelId, session.Hostname, session.Id, session.Secret, options.TunOptions.InitialPoolSize,
                options.TunOptions.PlaintextData, session.Multiplexed));
            _logger.LogInformation("Tunnel {TunnelId} is online from {Remote}: {Domains} domain(s), {Ports} port(s).",
                session.TunnelId, remote, session.Domains.Count, session.Ports.Count);
        });
    }

    private static string Limit(string value) => value.Length > 64 ? value[..64] : value;

    private async Task<bool> OfferDataAsync(Data data, Socket socket, Stream stream)
    {
        if (registry.ForData(data.Session) is not ClientSession session || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(data.Secret), Encoding.UTF8.GetBytes(session.Secret)))
            return false;
        await session.OfferAsync(new DataConnection(socket, stream));
        return true;
    }
}
