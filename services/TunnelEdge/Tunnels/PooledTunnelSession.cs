using System.Diagnostics;
using System.Net;
using System.Threading.Channels;
using Spokes.Contracts.Tunnels;

namespace Spokes.TunnelEdge.Tunnels;

/// <summary>
/// A session whose client opens data connections to the edge and keeps a pool of them idle (<c>spokes-tunnel</c>,
/// localtunnel). Visitors take a data connection each (HTTP: the proxy's connection pool reuses them across
/// requests); the client replaces each one taken, so the pool grows under load, and connections above the idle
/// size are closed once they go unused.
/// </summary>
public abstract class PooledTunnelSession : TunnelSession
{
    private readonly Channel<Parked> _idle;
    private readonly int _idlePoolSize;
    private readonly TimeSpan _poolIdleTimeout;
    private readonly TimeSpan _dataConnectionTimeout;

    /// <param name="idlePoolSize">Pooled connections that are never closed for going unused.</param>
    protected PooledTunnelSession(long tunnelId, string hostname, IPEndPoint remote, IReadOnlyList<string> domains, IReadOnlySet<int> ports,
        int idlePoolSize, EdgeOptions options, TrafficMeter meter, ILogger logger)
        : base(tunnelId, hostname, remote, domains, ports, options, meter, logger)
    {
        _idlePoolSize = idlePoolSize;
        _poolIdleTimeout = options.TunOptions.PoolIdleTimeout;
        _dataConnectionTimeout = options.Limits.DataConnectionTimeout;
        _idle = Channel.CreateBounded<Parked>(new BoundedChannelOptions(options.TunOptions.MaxPoolSize) { FullMode = BoundedChannelFullMode.Wait });
    }

    /// <summary>Serves the client as <see cref="TunnelSession.RunAsync"/> does; meanwhile trims the pool.</summary>
    public override async Task RunAsync()
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

    /// <summary>
    /// Asks the client for one more data connection (the pool ran dry). A client that cannot be asked (localtunnel)
    /// dials again by itself when one of its connections closes: then there is nothing to do.
    /// </summary>
    protected virtual Task AskForDataConnectionAsync(CancellationToken cancellationToken) => Task.CompletedTask;

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

    /// <summary>A pooled data connection of its own for the visitor (the transport before multiplexing).</summary>
    public override async Task<RelayEnd> OpenAsync(Start visitor, CancellationToken cancellationToken) =>
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

    /// <summary>Closes the pool, then what the front end holds besides it (<see cref="DisposeFrontEndAsync"/>).</summary>
    protected sealed override async ValueTask DisposeClientAsync()
    {
        _idle.Writer.TryComplete();
        while (_idle.Reader.TryRead(out var parked)) await parked.Connection.DisposeAsync();
        await DisposeFrontEndAsync();
    }

    /// <summary>Closes what the front end holds besides the pool (a control connection, a listener).</summary>
    protected abstract ValueTask DisposeFrontEndAsync();

    /// <summary>A pooled connection and when it was parked (a <see cref="Stopwatch"/> timestamp).</summary>
    private readonly record struct Parked(DataConnection Connection, long Since);
}
