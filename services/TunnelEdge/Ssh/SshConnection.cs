using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Spokes.Contracts.Tunnels;
using Spokes.TunnelEdge.Store;

namespace Spokes.TunnelEdge.Ssh;

/// <summary>
/// One client of the SSH front door (sish-style, a stock <c>ssh -R</c>): it authenticates with a tunnel's token (as
/// its user name or password) or a public key registered for a token, then each <c>tcpip-forward</c> it asks for
/// becomes a route of its tunnel: bind port 80 or 443 an HTTP hostname, any other port a TCP port of the edge's
/// range. Every visitor is a <c>forwarded-tcpip</c> channel opened back to the client. A <c>session</c> channel
/// (ssh without <c>-N</c>) shows the public addresses; Ctrl-C there ends the connection.
/// </summary>
public sealed class SshConnection : IAsyncDisposable
{
    private static readonly TimeSpan LoginGraceTime = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan PingInterval = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan SilenceLimit = TimeSpan.FromSeconds(60);
    private const int MaxAuthFailures = 6;
    private const uint DisconnectProtocolError = 2, DisconnectByApplication = 11, DisconnectNoMoreAuthMethods = 14;

    private readonly SshFrontDoor _door;
    private readonly SshTransport _transport;
    private readonly IPEndPoint _remote;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _ended = new();
    private readonly ConcurrentDictionary<uint, SshChannel> _channels = new();
    private readonly ConcurrentDictionary<uint, SshChannel> _consoles = new();
    private uint _nextChannelId;
    private TokenGrant? _grant;
    private SshTunnelSession? _session;
    private Task _sessionRun = Task.CompletedTask;
    private int _disposed;

    public SshConnection(SshFrontDoor door, Stream stream, IPEndPoint remote, ILogger logger)
    {
        _door = door;
        _remote = remote;
        _logger = logger;
        _transport = new SshTransport(stream, door.HostKey);
    }

    /// <summary>Cancelled when the connection ends.</summary>
    public CancellationToken Ended => _ended.Token;

    public string ClientVersion => _transport.ClientVersion;

    public Task SendAsync(SshWriter message, CancellationToken cancellationToken) => _transport.SendAsync(message, cancellationToken);

    /// <summary>Serves the client until it leaves, goes silent, breaks the protocol, or its session is ended.</summary>
    public async Task RunAsync(CancellationToken stopping)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stopping, Ended);
        var pinger = Task.CompletedTask;
        try
        {
            using (var login = CancellationTokenSource.CreateLinkedTokenSource(linked.Token))
            {
                login.CancelAfter(LoginGraceTime);
                await _transport.StartAsync(login.Token);
                if (!await AuthenticateAsync(login.Token)) return;
            }
            pinger = PingAsync(linked.Token);
            using var silence = CancellationTokenSource.CreateLinkedTokenSource(linked.Token);
            while (true)
            {
                silence.CancelAfter(SilenceLimit);
                if (await _transport.ReceiveAsync(silence.Token) is not { } message) return;
                await HandleAsync(message);
            }
        }
        catch (SshProtocolException e)
        {
            _logger.LogInformation("SSH client {Remote} was disconnected: {Reason}", _remote, e.Message);
            await _transport.DisconnectAsync(DisconnectProtocolError, e.Message);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or OperationCanceledException or ObjectDisposedException or EndOfStreamException)
        {
            _logger.LogDebug("SSH client {Remote} left: {Reason}", _remote, e.Message);
        }
        finally
        {
            await _ended.CancelAsync();
            await pinger;
            await DisposeAsync();
            await _sessionRun;
        }
    }

    private async Task PingAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var timer = new PeriodicTimer(PingInterval);
            while (await timer.WaitForNextTickAsync(cancellationToken))
                await SendAsync(new SshWriter(SshMessage.GlobalRequest).Text("keepalive@openssh.com").Boolean(true), cancellationToken);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    // User authentication (RFC 4252)

    private async Task<bool> AuthenticateAsync(CancellationToken cancellationToken)
    {
        var failures = 0;
        while (true)
        {
            if (await _transport.ReceiveAsync(cancellationToken) is not { } message) return false;
            switch (message[0])
            {
                case SshMessage.ServiceRequest:
                {
                    var reader = new SshReader(message);
                    reader.Byte();
                    var service = reader.Text();
                    if (service != "ssh-userauth") throw new SshProtocolException($"The service {service} is not offered.");
                    await SendAsync(new SshWriter(SshMessage.ServiceAccept).Text(service), cancellationToken);
                    break;
                }
                case SshMessage.UserauthRequest:
                {
                    var (grant, pkOk) = await TryAuthenticateAsync(message);
                    if (grant is not null)
                    {
                        _grant = grant;
                        await SendAsync(new SshWriter(SshMessage.UserauthSuccess), cancellationToken);
                        _logger.LogInformation("SSH client {Remote} ({Version}) signed in as tunnel {TunnelId}.", _remote, ClientVersion, grant.TunnelId);
                        return true;
                    }
                    if (pkOk is not null)
                    {
                        await SendAsync(pkOk, cancellationToken);
                        break;
                    }
                    if (++failures > MaxAuthFailures)
                    {
                        _logger.LogInformation("SSH client {Remote} failed to sign in {Failures} times.", _remote, failures);
                        await _transport.DisconnectAsync(DisconnectNoMoreAuthMethods, "Too many authentication failures.");
                        return false;
                    }
                    await SendAsync(new SshWriter(SshMessage.UserauthFailure).NameList("publickey", "password").Boolean(false), cancellationToken);
                    break;
                }
                default:
                    await SendAsync(new SshWriter(SshMessage.Unimplemented).UInt32(0), cancellationToken);
                    break;
            }
        }
    }

    /// <summary>A grant when the request proves a valid token; a PK_OK reply when a registered key is only being offered.</summary>
    private async Task<(TokenGrant? Grant, SshWriter? PkOk)> TryAuthenticateAsync(byte[] message)
    {
        var reader = new SshReader(message);
        reader.Byte();
        var user = reader.Text();
        var service = reader.Text();
        var method = reader.Text();
        if (service != "ssh-connection") return (null, null);
        switch (method)
        {
            case "none":
                return (await _door.GrantAsync(user), null);
            case "password":
            {
                reader.Boolean();
                var password = reader.Text();
                return (await _door.GrantAsync(password), null);
            }
            case "publickey":
            {
                var signed = reader.Boolean();
                var algorithm = reader.Text();
                var keyBlob = reader.Bytes().ToArray();
                var keyType = new SshReader(keyBlob).Text();
                var signature = signed ? reader.Bytes().ToArray() : null;
                if (!SshPublicKeys.Supports(algorithm, keyType) || await _door.Store.TokenForSshKeyAsync(keyBlob) is not { } token) return (null, null);
                if (signature is null) return (null, new SshWriter(SshMessage.UserauthPkOk).Text(algorithm).Bytes(keyBlob));
                var data = SshWriter.Raw(512).Bytes(_transport.SessionId).Byte(SshMessage.UserauthRequest).Text(user).Text(service)
                    .Text("publickey").Boolean(true).Text(algorithm).Bytes(keyBlob);
                return SshPublicKeys.Verify(algorithm, keyBlob, signature, data.Written) ? (await _door.GrantAsync(token), null) : (null, null);
            }
            default:
                return (null, null);
        }
    }

    // Connection protocol (RFC 4254)

    private async Task HandleAsync(byte[] message)
    {
        var reader = new SshReader(message);
        var type = reader.Byte();
        switch (type)
        {
            case SshMessage.GlobalRequest:
                await GlobalRequestAsync(message);
                break;
            case SshMessage.RequestSuccess or SshMessage.RequestFailure:
                // Answers to keepalives: hearing anything is what counts.
                break;
            case SshMessage.ChannelOpen:
                await ChannelOpenAsync(message);
                break;
            case SshMessage.ChannelOpenConfirmation:
            {
                var channel = Channel(reader.UInt32());
                var remoteId = reader.UInt32();
                var window = reader.UInt32();
                var maxPacket = reader.UInt32();
                channel?.Confirm(remoteId, window, maxPacket);
                break;
            }
            case SshMessage.ChannelOpenFailure:
            {
                var id = reader.UInt32();
                reader.UInt32();
                var description = reader.Text();
                if (_channels.TryRemove(id, out var channel)) channel.Refuse(description);
                break;
            }
            case SshMessage.ChannelWindowAdjust:
                Channel(reader.UInt32())?.OnWindowAdjust(reader.UInt32());
                break;
            case SshMessage.ChannelData:
            {
                var channel = Channel(reader.UInt32());
                var data = reader.Bytes();
                if (channel is null) break;
                if (_consoles.ContainsKey(channel.LocalId))
                {
                    // Ctrl-C or Ctrl-D in the console: the user is done.
                    if (data.IndexOfAny((byte)3, (byte)4) >= 0) await _ended.CancelAsync();
                    break;
                }
                channel.OnData(data);
                break;
            }
            case SshMessage.ChannelExtendedData:
                break;
            case SshMessage.ChannelEof:
                Channel(reader.UInt32())?.OnEof();
                break;
            case SshMessage.ChannelClose:
            {
                if (_channels.TryRemove(reader.UInt32(), out var channel))
                {
                    _consoles.TryRemove(channel.LocalId, out _);
                    channel.OnClosed();
                    await channel.SendCloseAsync();
                }
                break;
            }
            case SshMessage.ChannelRequest:
                await ChannelRequestAsync(message);
                break;
            default:
                await SendAsync(new SshWriter(SshMessage.Unimplemented).UInt32(0), Ended);
                break;
        }
    }

    private SshChannel? Channel(uint id) => _channels.GetValueOrDefault(id);

    private async Task GlobalRequestAsync(byte[] message)
    {
        var reader = new SshReader(message);
        reader.Byte();
        var name = reader.Text();
        var wantReply = reader.Boolean();
        if (name != "tcpip-forward")
        {
            if (wantReply) await SendAsync(new SshWriter(SshMessage.RequestFailure), Ended);
            return;
        }
        var address = reader.Text();
        var port = reader.UInt32();
        SshWriter reply;
        try
        {
            var forward = await ForwardAsync(address, port);
            reply = new SshWriter(SshMessage.RequestSuccess);
            if (port == 0) reply.UInt32((uint)forward.Port!.Value);
            await TellConsolesAsync(Describe(forward));
        }
        catch (TunnelRefusedException refused)
        {
            _logger.LogInformation("SSH client {Remote}: the forward {Address}:{Port} was refused: {Reason}", _remote, address, port, refused.Message);
            await TellConsolesAsync($"Refused {address}:{port}: {refused.Message}");
            reply = new SshWriter(SshMessage.RequestFailure);
        }
        if (wantReply) await SendAsync(reply, Ended);
    }

    /// <summary>Makes a forward a route of the tunnel, putting the tunnel online with its first.</summary>
    private async Task<SshForward> ForwardAsync(string address, uint requestedPort)
    {
        var grant = _grant!;
        var forward = await _door.ResolveForwardAsync(grant, address, requestedPort, _session);
        if (_session is null)
        {
            _session = _door.NewSession(grant, _remote, this, forward);
            await _door.Registry.AttachAsync(_session);
            var session = _session;
            _sessionRun = _door.Registry.RunAsync(session, async () =>
            {
                await _door.Store.SetOnlineAsync(grant.TunnelId, _remote.Address.ToString(), Limit(ClientVersion), "ssh", "");
                _logger.LogInformation("Tunnel {TunnelId} is online through SSH from {Remote}.", grant.TunnelId, _remote);
            });
        }
        else
        {
            _session.Add(forward);
            await _door.Registry.ExtendAsync(_session, forward.Domain, forward.Port);
        }
        return forward;
    }

    private static string Limit(string value) => value.Length > 64 ? value[..64] : value;

    private string Describe(SshForward forward) => forward.Domain is { } domain
        ? $"HTTP: {_door.PublicUrl(domain)} -> {forward.BindAddress}:{forward.BindPort}"
        : $"TCP: {_door.PublicTcpHost}:{forward.Port} -> {forward.BindAddress}:{forward.BindPort}";

    /// <summary>Opens a channel for one visitor of a forward; completes once the client accepted it.</summary>
    public async Task<SshChannel> OpenForwardedAsync(SshForward forward, CancellationToken cancellationToken)
    {
        var channel = new SshChannel(this, Interlocked.Increment(ref _nextChannelId));
        _channels[channel.LocalId] = channel;
        try
        {
            await SendAsync(new SshWriter(SshMessage.ChannelOpen).Text("forwarded-tcpip").UInt32(channel.LocalId).UInt32(SshChannel.LocalWindow)
                .UInt32(SshChannel.LocalMaxPacket).Text(forward.BindAddress).UInt32(forward.BindPort).Text("127.0.0.1").UInt32(0), cancellationToken);
            await channel.Opened.WaitAsync(cancellationToken);
            return channel;
        }
        catch
        {
            _channels.TryRemove(channel.LocalId, out _);
            throw;
        }
    }

    public void Forget(SshChannel channel)
    {
        if (channel.IsClosed) _channels.TryRemove(channel.LocalId, out _);
    }

    private async Task ChannelOpenAsync(byte[] message)
    {
        var reader = new SshReader(message);
        reader.Byte();
        var type = reader.Text();
        var remoteId = reader.UInt32();
        var window = reader.UInt32();
        var maxPacket = reader.UInt32();
        if (type != "session")
        {
            await SendAsync(new SshWriter(SshMessage.ChannelOpenFailure).UInt32(remoteId).UInt32(1)
                .Text($"This server forwards visitors to you; it opens no {type} channels.").Text(""), Ended);
            return;
        }
        var console = new SshChannel(this, Interlocked.Increment(ref _nextChannelId));
        console.Confirm(remoteId, window, maxPacket);
        _channels[console.LocalId] = console;
        await SendAsync(new SshWriter(SshMessage.ChannelOpenConfirmation).UInt32(remoteId).UInt32(console.LocalId)
            .UInt32(SshChannel.LocalWindow).UInt32(SshChannel.LocalMaxPacket), Ended);
    }

    private async Task ChannelRequestAsync(byte[] message)
    {
        var reader = new SshReader(message);
        reader.Byte();
        var channel = Channel(reader.UInt32());
        var request = reader.Text();
        var wantReply = reader.Boolean();
        if (channel is null) return;
        var accepted = request is "pty-req" or "env" or "shell" or "exec" or "window-change";
        if (wantReply) await SendAsync(new SshWriter(accepted ? SshMessage.ChannelSuccess : SshMessage.ChannelFailure).UInt32(channel.RemoteId), Ended);
        if (request is "shell" or "exec" && _consoles.TryAdd(channel.LocalId, channel))
        {
            var lines = new StringBuilder($"Spokes tunnel edge: signed in as tunnel {_grant!.TunnelId} ({_grant.Hostname}). Press Ctrl-C to stop.\r\n");
            foreach (var forward in _session?.Forwards ?? []) lines.Append(Describe(forward)).Append("\r\n");
            await WriteConsoleAsync(channel, lines.ToString());
        }
    }

    private async Task TellConsolesAsync(string line)
    {
        foreach (var console in _consoles.Values) await WriteConsoleAsync(console, line + "\r\n");
    }

    private static async Task WriteConsoleAsync(SshChannel console, string text)
    {
        try
        {
            await console.WriteAsync(Encoding.UTF8.GetBytes(text));
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Ends the connection (its tunnel session was replaced or shut down).</summary>
    public async Task EndAsync(string reason)
    {
        if (_ended.IsCancellationRequested) return;
        await _transport.DisconnectAsync(DisconnectByApplication, reason);
        await _ended.CancelAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        await _ended.CancelAsync();
        foreach (var channel in _channels.Values) channel.OnClosed();
        _channels.Clear();
        await _transport.DisposeAsync();
    }
}

/// <summary>
/// A forward the client asked for (<see cref="BindAddress"/> and <see cref="BindPort"/> as it sent them, which it
/// matches visitors' channels by) and what it became: an HTTP route name or a TCP port of the edge.
/// </summary>
public sealed record SshForward(string BindAddress, uint BindPort, string? Domain, int? Port);
