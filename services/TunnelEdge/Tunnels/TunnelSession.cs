using System.Diagnostics;
using System.Net;
using Spokes.Contracts.Tunnels;

namespace Spokes.TunnelEdge.Tunnels;

/// <summary>
/// A connected client, whichever front end it came through: the routes and ports it serves, the streams its
/// visitors get (<see cref="OpenAsync"/>: from a pool of data connections, <see cref="PooledTunnelSession"/>, or
/// channels of an SSH connection), its visitor cap and its uptime.
/// </summary>
public abstract class TunnelSession : ITunnelStreamOpener, IAsyncDisposable
{
    private static readonly TimeSpan RefusalReportInterval = TimeSpan.FromMinutes(1);

    private readonly CancellationTokenSource _ended = new();
    private readonly int _maxConnections;
    private readonly TrafficMeter _meter;
    private int _connections;
    private long _refusalReported;
    private int _disposed;
    private long _uptimeMark = Stopwatch.GetTimestamp();

    protected TunnelSession(long tunnelId, string hostname, IPEndPoint remote, IReadOnlyList<string> domains, IReadOnlySet<int> ports,
        EdgeOptions options, TrafficMeter meter, ILogger logger)
    {
        TunnelId = tunnelId;
        Hostname = hostname;
        Remote = remote;
        Domains = domains;
        Ports = ports;
        _maxConnections = options.TunOptions.MaxConnections;
        _meter = meter;
        Logger = logger;
        Options = options;
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

    /// <summary>Serves the client until it leaves, goes silent, or the session is ended.</summary>
    public virtual Task RunAsync() => ServeClientAsync();

    /// <summary>The front end's part of <see cref="RunAsync"/>: returns when the client is gone.</summary>
    protected abstract Task ServeClientAsync();

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

    /// <summary>A stream to the client for a visitor, told what the visitor wants.</summary>
    /// <exception cref="TimeoutException">The client gave none in time.</exception>
    public abstract Task<RelayEnd> OpenAsync(Start visitor, CancellationToken cancellationToken);

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
        Http.Dispose();
        await DisposeClientAsync();
        GC.SuppressFinalize(this);
    }

    /// <summary>Closes what the front end holds (a control connection, a listener, a pool).</summary>
    protected abstract ValueTask DisposeClientAsync();
}
