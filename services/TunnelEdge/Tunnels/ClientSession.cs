using System.Net;
using System.Net.Security;
using Spokes.Contracts.Tunnels;

namespace Spokes.TunnelEdge.Tunnels;

/// <summary>
/// A session of Spokes' own client (`spokes-tunnel`): a TLS control connection carrying pings and requests
/// for more data connections, and data connections that present <see cref="TunnelSession.Id"/> and
/// <see cref="Secret"/>. Each visitor's stream begins with a <see cref="Start"/> message saying what it wants.
/// <para>
/// Multiplexed (<see cref="Multiplexed"/>, the default with a client that can): the data connections stay open
/// and each carries many visitor streams (<see cref="MuxConnection"/>), so a visitor costs no TLS handshake. A new
/// stream goes to the connection carrying the fewest; when even that one carries
/// <see cref="StreamsPerConnection"/>, the client is asked for one more connection, up to
/// <c>tunOptions.maxPoolSize</c>. Connections above <c>tunOptions.idlePoolSize</c> that carry nothing for
/// <c>tunOptions.poolIdleTimeout</c> are closed. Otherwise each visitor takes a pooled connection of its own.
/// </para>
/// </summary>
public sealed class ClientSession(long tunnelId, string hostname, IPEndPoint remote, SslStream control, IReadOnlyList<string> domains,
    IReadOnlySet<int> ports, bool multiplexed, EdgeOptions options, TrafficMeter meter, ILogger logger)
    : PooledTunnelSession(tunnelId, hostname, remote, domains, ports, options.TunOptions.IdlePoolSize, options, meter, logger)
{
    private static readonly TimeSpan PingInterval = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan SilenceLimit = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Streams a connection carries before the pool grows: enough that a busy tunnel needs few connections (each one
    /// a TLS handshake and its buffers), few enough that the streams of two or more connections spread over cores.
    /// </summary>
    public const int StreamsPerConnection = 16;

    private readonly SemaphoreSlim _writing = new(1, 1);
    private readonly Lock _pooling = new();
    private readonly List<MuxConnection> _multiplexed = [];
    // When each connection last carried no stream (a Stopwatch timestamp), for the trim.
    private readonly Dictionary<MuxConnection, long> _unusedSince = [];
    // Connections asked of the client that have not arrived yet.
    private int _requested;
    private TaskCompletionSource? _arrived;

    public bool Multiplexed { get; } = multiplexed;

    public string Secret { get; } = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    public Task SendAsync(TunnelMessage message) => SendAsync(message, Ended);

    private async Task SendAsync(TunnelMessage message, CancellationToken cancellationToken)
    {
        await _writing.WaitAsync(cancellationToken);
        try
        {
            await TunnelFraming.WriteAsync(control, message, cancellationToken);
        }
        finally
        {
            _writing.Release();
        }
    }

    /// <summary>Reads the control connection until the client leaves, goes silent, or the session is ended.</summary>
    protected override async Task ServeClientAsync()
    {
        using var silence = CancellationTokenSource.CreateLinkedTokenSource(Ended);
        var pinger = PingAsync(silence.Token);
        var trimmer = Multiplexed ? TrimMultiplexedAsync(silence.Token) : Task.CompletedTask;
        try
        {
            while (true)
            {
                silence.CancelAfter(SilenceLimit);
                var message = await TunnelFraming.ReadAsync(control, silence.Token);
                switch (message)
                {
                    case null:
                        return;
                    case Ping:
                        await SendAsync(new Pong());
                        break;
                    case Pong:
                        break;
                    default:
                        Logger.LogWarning("Tunnel {TunnelId} sent an unexpected {Message} on its control connection.", TunnelId, message.GetType().Name);
                        return;
                }
            }
        }
        catch (Exception e) when (e is IOException or InvalidDataException or OperationCanceledException or ObjectDisposedException)
        {
        }
        finally
        {
            await silence.CancelAsync();
            await pinger;
            await trimmer;
        }
    }

    private async Task PingAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var timer = new PeriodicTimer(PingInterval);
            while (await timer.WaitForNextTickAsync(cancellationToken)) await SendAsync(new Ping(), cancellationToken);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    protected override Task AskForDataConnectionAsync(CancellationToken cancellationToken) => SendAsync(new OpenData(1), cancellationToken);

    /// <summary>Multiplexed: the connection joins the pool (beyond <c>maxPoolSize</c> it is closed) and stays until it breaks or is trimmed.</summary>
    public override async Task OfferAsync(DataConnection connection)
    {
        if (!Multiplexed)
        {
            await base.OfferAsync(connection);
            return;
        }
        var multiplexed = new MuxConnection(connection.Stream, accept: null);
        TaskCompletionSource? arrived;
        lock (_pooling)
        {
            _requested = Math.Max(0, _requested - 1);
            if (IsEnded || _multiplexed.Count >= Options.TunOptions.MaxPoolSize) arrived = null;
            else
            {
                _multiplexed.Add(multiplexed);
                (arrived, _arrived) = (_arrived ?? new TaskCompletionSource(), null);
            }
        }
        if (arrived is null)
        {
            await multiplexed.DisposeAsync();
            return;
        }
        arrived.TrySetResult();
        _ = WatchAsync(multiplexed);
    }

    /// <summary>Takes a connection out of the pool when it closes; one that broke is replaced up to the idle size.</summary>
    private async Task WatchAsync(MuxConnection connection)
    {
        await connection.Completion;
        bool replace;
        lock (_pooling)
        {
            replace = _multiplexed.Remove(connection) && !IsEnded && _multiplexed.Count + _requested < Options.TunOptions.InitialPoolSize;
            _unusedSince.Remove(connection);
            if (replace) _requested++;
        }
        if (!replace) return;
        try
        {
            await AskForDataConnectionAsync(Ended);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    /// <summary>Multiplexed: a new stream on the connection carrying the fewest, the pool growing as it fills.</summary>
    public override async Task<RelayEnd> OpenAsync(Start visitor, CancellationToken cancellationToken)
    {
        if (!Multiplexed) return await base.OpenAsync(visitor, cancellationToken);
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, Ended);
        wait.CancelAfter(Options.Limits.DataConnectionTimeout);
        while (true)
        {
            MuxConnection? least = null;
            Task arrival = Task.CompletedTask;
            bool ask;
            lock (_pooling)
            {
                foreach (var connection in _multiplexed)
                {
                    if (!connection.IsClosed && (least is null || connection.StreamCount < least.StreamCount)) least = connection;
                }
                ask = (least is null || least.StreamCount >= StreamsPerConnection) && _multiplexed.Count + _requested < Options.TunOptions.MaxPoolSize;
                if (ask) _requested++;
                if (least is null) arrival = (_arrived ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
            }
            try
            {
                if (ask) await AskForDataConnectionAsync(wait.Token);
                if (least is null)
                {
                    await arrival.WaitAsync(wait.Token);
                    continue;
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // Asked-for connections that never came are not waited for again.
                lock (_pooling) _requested = 0;
                throw new TimeoutException($"Tunnel {TunnelId} opened no data connection within {Options.Limits.DataConnectionTimeout.TotalSeconds:F0} s.");
            }
            MuxStream? stream = null;
            try
            {
                stream = least.Open();
                await TunnelFraming.WriteAsync(stream, visitor, wait.Token);
                return new RelayEnd(stream, null);
            }
            catch (IOException)
            {
                // That connection broke (or was trimmed) just now: the next one.
                if (stream is not null) await stream.DisposeAsync();
            }
        }
    }

    /// <summary>Closes connections above the idle size that carried no stream for the pool's idle timeout.</summary>
    private async Task TrimMultiplexedAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var timer = new PeriodicTimer(Options.TunOptions.PoolIdleTimeout / 2);
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                List<MuxConnection> surplus = [];
                lock (_pooling)
                {
                    var now = System.Diagnostics.Stopwatch.GetTimestamp();
                    foreach (var connection in _multiplexed.ToList())
                    {
                        if (connection.StreamCount > 0) _unusedSince.Remove(connection);
                        else if (!_unusedSince.TryGetValue(connection, out var since)) _unusedSince[connection] = now;
                        else if (_multiplexed.Count > Options.TunOptions.IdlePoolSize
                                 && System.Diagnostics.Stopwatch.GetElapsedTime(since, now) >= Options.TunOptions.PoolIdleTimeout)
                        {
                            _multiplexed.Remove(connection);
                            _unusedSince.Remove(connection);
                            surplus.Add(connection);
                        }
                    }
                }
                foreach (var connection in surplus) await connection.DisposeAsync();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    protected override Task HandOverAsync(DataConnection connection, Start start, CancellationToken cancellationToken) =>
        TunnelFraming.WriteAsync(connection.Stream, start, cancellationToken);

    /// <summary>With a reason, the client is told first not to come back.</summary>
    public override async Task EndAsync(string? shutdownReason)
    {
        if (shutdownReason is not null && !IsEnded)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await SendAsync(new Shutdown(shutdownReason), timeout.Token);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
            {
            }
        }
        await DisposeAsync();
    }

    protected override async ValueTask DisposeFrontEndAsync()
    {
        await control.DisposeAsync();
        List<MuxConnection> connections;
        lock (_pooling)
        {
            connections = [.. _multiplexed];
            _multiplexed.Clear();
        }
        foreach (var connection in connections) await connection.DisposeAsync();
    }
}
