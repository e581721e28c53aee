using System.Net.Security;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Spokes.Contracts.Tunnels;

namespace Spokes.TunnelClient;

/// <summary>
/// <c>spokes-tunnel start</c>: keeps a session with the edge (a control connection and a pool of data
/// connections), relays each visitor to its local destination, and reconnects with backoff when the edge
/// or the network goes away. An edge refusal that another attempt cannot fix (token removed) ends it.
/// </summary>
public sealed class TunnelAgent(ClientConfig config, Action<string> log)
{
    private static readonly TimeSpan PingInterval = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan SilenceLimit = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);

    private readonly string _edge = config.Hostname ?? throw new ClientException("Not configured: run `spokes-tunnel configure` first.");
    private readonly string _token = config.Key ?? throw new ClientException("No authentication token: run `spokes-tunnel configure` first.");

    /// <summary>Raised with the Welcome of each session (tests and the benchmark wait for it).</summary>
    public event Action<Welcome>? Online;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var backoff = TimeSpan.FromSeconds(1);
        while (!cancellationToken.IsCancellationRequested)
        {
            var wasOnline = false;
            try
            {
                wasOnline = await RunSessionAsync(() => wasOnline = true, cancellationToken);
                log("The edge closed the session.");
            }
            catch (Exception e) when (e is IOException or SocketException or System.Security.Authentication.AuthenticationException
                                          or InvalidDataException or TimeoutException)
            {
                log($"No session with the edge at {_edge}: {e.Message}");
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            if (wasOnline) backoff = TimeSpan.FromSeconds(1);
            var wait = backoff * (0.8 + Random.Shared.NextDouble() * 0.4);
            log($"Reconnecting in {wait.TotalSeconds:F1} s.");
            try
            {
                await Task.Delay(wait, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
        }
    }

    /// <summary>One session, until it ends; true when it got online.</summary>
    private async Task<bool> RunSessionAsync(Action online, CancellationToken cancellationToken)
    {
        var (socket, control) = await EdgeConnection.OpenAsync(_edge, config.ServerKey, cancellationToken);
        using var session = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var writing = new SemaphoreSlim(1, 1);
        await using (control)
        using (socket)
        {
            var hello = new Hello(_token, typeof(TunnelAgent).Assembly.GetName().Version?.ToString() ?? "0", RuntimeInformation.OSDescription,
                RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant(), config.Https.Select(r => r.Domain).ToList(),
                config.Ports.Where(p => p.Destination is not null).Select(p => p.Port).ToList(), Multiplex: true);
            await TunnelFraming.WriteAsync(control, hello, cancellationToken);
            var welcome = await TunnelFraming.ReadAsync(control, cancellationToken) switch
            {
                Welcome w => w,
                TunnelError { Code: var code } error when TunnelErrorCodes.IsPermanent(code) => throw new ClientException($"The edge refused the tunnel: {error.Message} ({code})"),
                TunnelError error => throw new IOException($"The edge refused the tunnel: {error.Message}"),
                var other => throw new InvalidDataException($"The edge answered {other?.GetType().Name ?? "nothing"}."),
            };
            online();
            log($"Tunnel {welcome.TunnelId} online ({welcome.Hostname}).");
            foreach (var route in config.Https) log($"  http://{route.Domain} -> {route.Destination}:{route.Port}");
            foreach (var route in config.Ports.Where(p => p.Destination is not null)) log($"  tcp port {route.Port} -> {route.Destination}:{route.DstPort}");
            if (config.PlaintextData) log(welcome.PlaintextData ? "  data connections without TLS" : "  data connections with TLS (the edge does not allow plaintext)");
            Online?.Invoke(welcome);

            for (var i = 0; i < welcome.PoolSize; i++)
            {
                if (welcome.Multiplex) OpenMultiplexedConnection(welcome, session.Token);
                else OpenDataConnection(welcome, session.Token);
            }
            var pinger = PingAsync(control, writing, session.Token);
            try
            {
                using var silence = CancellationTokenSource.CreateLinkedTokenSource(session.Token);
                while (true)
                {
                    silence.CancelAfter(SilenceLimit);
                    switch (await TunnelFraming.ReadAsync(control, silence.Token))
                    {
                        case null:
                            return true;
                        case Ping:
                            await SendAsync(control, writing, new Pong(), session.Token);
                            break;
                        case OpenData open when welcome.Multiplex:
                            for (var i = 0; i < Math.Clamp(open.Count, 1, 100); i++) OpenMultiplexedConnection(welcome, session.Token);
                            break;
                        case OpenData open:
                            for (var i = 0; i < Math.Clamp(open.Count, 1, 100); i++) OpenDataConnection(welcome, session.Token);
                            break;
                        case Shutdown shutdown:
                            throw new ClientException($"The edge shut the tunnel down: {shutdown.Reason}");
                    }
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"The edge said nothing for {SilenceLimit.TotalSeconds:F0} s.");
            }
            finally
            {
                await session.CancelAsync();
                await pinger;
            }
        }
    }

    private static async Task SendAsync(SslStream control, SemaphoreSlim writing, TunnelMessage message, CancellationToken cancellationToken)
    {
        await writing.WaitAsync(cancellationToken);
        try
        {
            await TunnelFraming.WriteAsync(control, message, cancellationToken);
        }
        finally
        {
            writing.Release();
        }
    }

    private static async Task PingAsync(SslStream control, SemaphoreSlim writing, CancellationToken cancellationToken)
    {
        try
        {
            using var timer = new PeriodicTimer(PingInterval);
            while (await timer.WaitForNextTickAsync(cancellationToken)) await SendAsync(control, writing, new Ping(), cancellationToken);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    private void OpenDataConnection(Welcome welcome, CancellationToken session) => _ = ServeDataConnectionAsync(welcome, session);

    private void OpenMultiplexedConnection(Welcome welcome, CancellationToken session) => _ = ServeMultiplexedConnectionAsync(welcome, session);

    private async Task<(Socket Socket, Stream Stream)> ConnectDataAsync(Welcome welcome, CancellationToken session)
    {
        if (welcome.PlaintextData && config.PlaintextData) return await EdgeConnection.OpenPlaintextAsync(_edge, session);
        var (socket, stream) = await EdgeConnection.OpenAsync(_edge, config.ServerKey, session);
        return (socket, stream);
    }

    /// <summary>
    /// Opens a data connection that carries many visitors (<see cref="MuxConnection"/>) and serves the streams the
    /// edge opens on it until it closes. The edge asks for another when it needs one; a broken one is not redialled here.
    /// </summary>
    private async Task ServeMultiplexedConnectionAsync(Welcome welcome, CancellationToken session)
    {
        try
        {
            var (socket, stream) = await ConnectDataAsync(welcome, session);
            await using (stream)
            using (socket)
            {
                await TunnelFraming.WriteAsync(stream, new Data(welcome.Session, welcome.Secret), session);
                await using var connection = new MuxConnection(stream, visitor => ServeStreamAsync(visitor, session));
                await connection.Completion.WaitAsync(session);
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or InvalidDataException
                                      or System.Security.Authentication.AuthenticationException or ObjectDisposedException)
        {
        }
    }

    /// <summary>One visitor's stream: what it wants, then the relay to its destination.</summary>
    private async Task ServeStreamAsync(MuxStream visitor, CancellationToken session)
    {
        try
        {
            if (await TunnelFraming.ReadAsync(visitor, session) is Start start) await RelayAsync(start, new RelayEnd(visitor, null), session);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or InvalidDataException or ObjectDisposedException)
        {
        }
    }

    /// <summary>Opens a data connection, waits in the edge's pool for a visitor, and relays it to its destination.</summary>
    private async Task ServeDataConnectionAsync(Welcome welcome, CancellationToken session)
    {
        try
        {
            var (socket, stream) = await ConnectDataAsync(welcome, session);
            await using (stream)
            using (socket)
            {
                await TunnelFraming.WriteAsync(stream, new Data(welcome.Session, welcome.Secret), session);
                switch (await TunnelFraming.ReadAsync(stream, session))
                {
                    case Start start:
                        // This one is taken: replace it, so a busy tunnel's pool grows (the edge closes what goes unused).
                        OpenDataConnection(welcome, session);
                        await RelayAsync(start, new RelayEnd(stream, socket), session);
                        break;
                    case TunnelError error:
                        log($"The edge refused a data connection: {error.Message}");
                        break;
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or InvalidDataException
                                      or System.Security.Authentication.AuthenticationException or ObjectDisposedException)
        {
        }
    }

    private async Task RelayAsync(Start start, RelayEnd edge, CancellationToken session)
    {
        var (host, port, isHttp) = start switch
        {
            { Domain: { } domain } when config.Https.FirstOrDefault(r => r.Domain == domain) is { } http => (http.Destination, http.Port, true),
            { Port: { } number } when config.Ports.FirstOrDefault(r => r.Port == number) is { Destination: { } destination, DstPort: { } dstPort } => (destination, dstPort, false),
            _ => (null, 0, start.Domain is not null),
        };
        using var local = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            if (host is null) throw new SocketException((int)SocketError.HostNotFound);
            using var connecting = CancellationTokenSource.CreateLinkedTokenSource(session);
            connecting.CancelAfter(TimeSpan.FromSeconds(10));
            await local.ConnectAsync(host, port, connecting.Token);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException && !session.IsCancellationRequested)
        {
            log($"The destination {host}:{port} did not answer: {e.Message}");
            if (isHttp)
            {
                await edge.Stream.WriteAsync(BadGateway, session);
                await edge.CloseWriteAsync();
            }
            return;
        }
        await using var localStream = new NetworkStream(local, ownsSocket: false);
        await StreamRelay.RunAsync(edge, new RelayEnd(localStream, local), _ => { }, session);
    }

    private static readonly byte[] BadGateway = PlainResponse("502 Bad Gateway", "The tunnel's local destination is not answering.");

    private static byte[] PlainResponse(string status, string text) => Encoding.ASCII.GetBytes(
        $"HTTP/1.1 {status}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {text.Length + 1}\r\nConnection: close\r\n\r\n{text}\n");
}
