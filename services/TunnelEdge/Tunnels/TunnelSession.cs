using System.Diagnostics;
using System.Net;
using System.Threading.Channels;
using Spokes.Contracts.Tunnels;

namespace Spokes.TunnelEdge.Tunnels;

/// <summary>
/// A connected client, whichever front end it came through: the pool of idle data connections it keeps open
/// and the routes it serves. Visitors take a data connection each (HTTP: the proxy's connection pool reuses
/// them across requests); the client replaces each one taken, so the pool grows under load, and connections
/// above the idle size are closed once they go unused.
/// </summary>
public abstract class TunnelSession : ITunnelStreamOpener, IAsyncDisposable
{
    private static readonly TimeSpan RefusalReportInterval = TimeSpan.FromMinutes(1);

    private readonly Channel<Parked> _idle;
    private readonly CancellationTokenSource _ended = new();
    private readonly int _maxConnections;
    private readonly int _idlePoolSize;
    private readonly TimeSpan _poolIdleTimeout;
    private readonly TimeSpan _dataConnectionTimeout;
    private readonly TrafficMeter _meter;
    private int _connections;
    private long _refusalReported;
    private int _disposed;
    private long _uptimeMark = Stopwatch.GetTimestamp();

    /// <param name="idlePoolSize">Pooled connections that are never closed for going unused.</param>
    protected TunnelSession(long tunnelId, string hostname, IPEndPoint remote, IReadOnlyList<string> domains, IReadOnlySet<int> ports,
        int idlePoolSize, EdgeOptions options, TrafficMeter meter, ILogger logger)
    {
        TunnelId = tunnelId;
        Hostname = hostname;
        Remote = remote;
        Domains = domains;
        Ports = ports;
        _idlePoolSize = idlePoolSize;
        _maxConnections = options.TunOptions.MaxConnections;
        _poolIdleTimeout = options.TunOptions.PoolIdleTimeout;
        _dataConnectionTimeout = options.Limits.DataConnectionTimeout;
        _meter = meter;
        Logger = logger;
        Options = options;
        _idle = Channel.CreateBounded<Parked>(new BoundedChannelOptions(options.TunOptions.MaxPoolSize) { FullMode = BoundedChannelFullMode.Wait });
        var httpCounter = meter.Counter(tunnelId, TrafficMeter.HttpService);
        Http = new HttpMessageInvoker(new SocketsHttpHandler
        {
            // The "host" of a request is the index of its route (route names may be wildcards, not host names).
            ConnectCallback = async (context, cancellationToken) =>
                new CountingStream(await OpenAsync(new Start(Domains[int.Parse(context.DnsEndPoint.Host[1..])], null), cancellationToken), httpCounter),
            MaxConnectionsPerServer = _maxConnections,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
            UseProxy = false,
            UseCookies = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            ActivityHeadersPropagator = null,
        });
    }

    public long TunnelId { get; }

    protected ILogger Logger { get; }

    protected EdgeOptions Options { get; }

    public string Hostname { get; }

    public IPEndPoint Remote { get; }

    public string Id { get; } = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));

    /// <summary>The HTTP route names (exact or <c>*.</c> wildcards) this session serves.</summary>
    public IReadOnlyList<string> Domains { get; }

    public IReadOnlySet<int> Ports { get; }

    /// <summary>The proxy's client for this tunnel: requests go to <c>http://r{route index}/</c>.</summary>
    public HttpMessageInvoker Http { get; }

    /// <summary>Cancelled when the session ends: relays of its visitors stop with it.</summary>
    public CancellationToken Ended => _ended.Token;

    public bool IsEnded => _ended.IsCancellationRequested;

    /// <summary>Serves the client until it leaves, goes silent, or the session is ended; meanwhile trims the pool.</summary>
    public async Task RunAsync()
    {
        using var running = CancellationTokenSource.CreateLinkedTokenSource(Ended);
        var trimmer = TrimPoolAsync(running.Token);
        try
        {
            await ServeClientAsync();
        }
        finally
        {
            await running.CancelAsync();
            await trimmer;
        }
    }

    /// <summary>The front end's part of <see cref="RunAsync"/>: returns when the client is gone.</summary>
    protected abstract Task ServeClientAsync();

    /// <summary>Asks the client for one more data connection (the pool ran dry), where its protocol can.</summary>
    protected abstract Task AskForDataConnectionAsync(CancellationToken cancellationToken);

    /// <summary>Readies a pooled connection for a visitor.</summary>
    /// <exception cref="IOException">The client closed it while it sat in the pool.</exception>
    protected abstract Task HandOverAsync(DataConnection connection, Start start, CancellationToken cancellationToken);

    /// <summary>Closes the oldest pooled connections above the idle size once they sat unused for the pool's idle timeout.</summary>
    private async Task TrimPoolAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var timer = new PeriodicTimer(_poolIdleTimeout / 2);
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                // A visitor may take the peeked one first; then a younger one goes a little early, which costs nothing.
                while (_idle.Reader.Count > _idlePoolSize && _idle.Reader.TryPeek(out var oldest)
                       && Stopwatch.GetElapsedTime(oldest.Since) >= _poolIdleTimeout && _idle.Reader.TryRead(out var surplus))
                    await surplus.Connection.DisposeAsync();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Parks a data connection the client opened; beyond the pool's size it is closed.</summary>
    public virtual async Task OfferAsync(DataConnection connection)
    {
        if (IsEnded || !_idle.Writer.TryWrite(new Parked(connection, Stopwatch.GetTimestamp()))) await connection.DisposeAsync();
    }

    /// <summary>Counts a visitor against the tunnel's connection cap; false when the tunnel is full (told to the operator once a minute).</summary>
    public bool TryAdmitVisitor()
    {
        if (Interlocked.Increment(ref _connections) <= _maxConnections) return true;
        Interlocked.Decrement(ref _connections);
        var now = Stopwatch.GetTimestamp();
        var reported = Interlocked.Read(ref _refusalReported);
        if ((reported == 0 || Stopwatch.GetElapsedTime(reported, now) >= RefusalReportInterval) && Interlocked.CompareExchange(ref _refusalReported, now, reported) == reported)
            Logger.LogWarning("Tunnel {TunnelId} carries its cap of {Max} visitor connections (tunOptions.maxConnections): more visitors are refused.", TunnelId, _maxConnections);
        return false;
    }

    public void VisitorLeft() => Interlocked.Decrement(ref _connections);

    /// <summary>A pooled data connection of its own for the visitor (the transport before multiplexing).</summary>
    public virtual async Task<RelayEnd> OpenAsync(Start visitor, CancellationToken cancellationToken) =>
        (await TakeDataConnectionAsync(visitor, cancellationToken)).AsRelayEnd();

    /// <summary>A data connection for a visitor, told what the visitor wants.</summary>
    /// <exception cref="TimeoutException">The client opened none in time.</exception>
    private async Task<DataConnection> TakeDataConnectionAsync(Start start, CancellationToken cancellationToken)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, Ended);
        wait.CancelAfter(_dataConnectionTimeout);
        while (true)
        {
            if (!_idle.Reader.TryRead(out var parked))
            {
                await AskForDataConnectionAsync(wait.Token);
                try
                {
                    parked = await _idle.Reader.ReadAsync(wait.Token);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    throw new TimeoutException($"Tunnel {TunnelId} opened no data connection within {_dataConnectionTimeout.TotalSeconds:F0} s.");
                }
            }
            var connection = parked.Connection;
            try
            {
                await HandOverAsync(connection, start, wait.Token);
                return connection;
            }
            catch (IOException)
            {
                // The client closed this one while it sat in the pool: take the next.
                await connection.DisposeAsync();
            }
        }
    }

    /// <summary>Seconds online since the last call (the uptime counter's batch).</summary>
    public long TakeUptimeSeconds()
    {
        var now = Stopwatch.GetTimestamp();
        var mark = Interlocked.Read(ref _uptimeMark);
        var seconds = (long)Stopwatch.GetElapsedTime(mark, now).TotalSeconds;
        Interlocked.Exchange(ref _uptimeMark, mark + seconds * Stopwatch.Frequency);
        return seconds;
    }

    /// <summary>Ends the session; with a reason, a client whose protocol can hear it is told first not to come back.</summary>
    public virtual Task EndAsync(string? shutdownReason) => DisposeAsync().AsTask();

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        await _ended.CancelAsync();
        _meter.SessionEnded(TunnelId, TakeUptimeSeconds());
        _idle.Writer.TryComplete();
        while (_idle.Reader.TryRead(out var parked)) await parked.Connection.DisposeAsync();
        Http.Dispose();
        await DisposeClientAsync();
        GC.SuppressFinalize(this);
    }

    /// <summary>Closes what the front end holds besides the pool (a control connection, a listener).</summary>
    protected abstract ValueTask DisposeClientAsync();

    /// <summary>A pooled connection and when it was parked (a <see cref="Stopwatch"/> timestamp).</summary>
    private readonly record struct Parked(DataConnection Connection, long Since);
}
