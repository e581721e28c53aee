using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Spokes.Contracts.Tunnels;
using Spokes.TunnelEdge.Store;

namespace Spokes.TunnelEdge.Tunnels;

/// <summary>
/// The sessions online now, found by tunnel, by session id (data connections), by HTTP route name and by
/// TCP port; and the listeners of the allocated ports that are served.
/// </summary>
public sealed class TunnelRegistry(EdgeOptions options, EdgeStore store, IServiceProvider services, ILogger<TunnelRegistry> logger)
{
    private readonly ConcurrentDictionary<long, TunnelSession> _byTunnel = new();
    private readonly ConcurrentDictionary<string, TunnelSession> _bySession = new();
    private readonly ConcurrentDictionary<string, (TunnelSession Session, int Route)> _byDomain = new();
    private readonly ConcurrentDictionary<int, TcpPortListener> _listeners = new();
    private readonly Lock _changing = new();

    public IEnumerable<TunnelSession> Sessions => _byTunnel.Values;

    public bool IsOnline(long tunnelId) => _byTunnel.ContainsKey(tunnelId);

    public TunnelSession? ForTunnel(long tunnelId) => _byTunnel.GetValueOrDefault(tunnelId);

    public TunnelSession? ForData(string sessionId) => _bySession.GetValueOrDefault(sessionId);

    /// <summary>The session and route for a request's host: the exact name, else the closest wildcard.</summary>
    public (TunnelSession Session, int Route)? ForHost(string host)
    {
        foreach (var candidate in Hostnames.Candidates(host))
        {
            if (_byDomain.TryGetValue(candidate, out var found)) return found;
        }
        return null;
    }

    /// <summary>
    /// Puts a session online, replacing an older session of the same tunnel (a client that reconnected
    /// before the edge noticed it had gone), and opens its TCP ports.
    /// </summary>
    /// <exception cref="TunnelRefusedException">A port could not be opened.</exception>
    public async Task AttachAsync(TunnelSession session)
    {
        TunnelSession? replaced;
        lock (_changing)
        {
            replaced = _byTunnel.GetValueOrDefault(session.TunnelId);
            if (replaced is not null) Forget(replaced);
            _byTunnel[session.TunnelId] = session;
            _bySession[session.Id] = session;
            for (var route = 0; route < session.Domains.Count; route++) _byDomain[session.Domains[route]] = (session, route);
        }
        if (replaced is not null)
        {
            logger.LogInformation("Tunnel {TunnelId} reconnected; its previous session is closed.", session.TunnelId);
            await replaced.DisposeAsync();
        }
        try
        {
            foreach (var port in session.Ports) await OpenListenerAsync(session, port);
        }
        catch (TunnelRefusedException)
        {
            await DetachAsync(session);
            throw;
        }
        // Ports the replaced session served and this one does not.
        if (replaced is not null) await CloseListenersAsync(replaced.Ports.Except(session.Ports));
    }

    /// <summary>
    /// Serves one more route (<paramref name="domain"/>, already in the session's <see cref="TunnelSession.Domains"/>) or
    /// port (already in its <see cref="TunnelSession.Ports"/>) of an attached session: an SSH client asks for its
    /// forwards one at a time.
    /// </summary>
    /// <exception cref="TunnelRefusedException">The session is no longer the tunnel's current one, or the port could not be opened.</exception>
    public async Task ExtendAsync(TunnelSession session, string? domain, int? port)
    {
        lock (_changing)
        {
            if (_byTunnel.GetValueOrDefault(session.TunnelId) != session)
                throw new TunnelRefusedException(TunnelErrorCodes.Malformed, "This session was replaced.");
            if (domain is not null)
            {
                for (var route = 0; route < session.Domains.Count; route++)
                {
                    if (session.Domains[route] == domain) _byDomain[domain] = (session, route);
                }
            }
        }
        if (port is { } opened) await OpenListenerAsync(session, opened);
    }

    /// <summary>Opens the listener of a session's port (kept when it is open already).</summary>
    /// <exception cref="TunnelRefusedException">The port cannot be opened.</exception>
    private async Task OpenListenerAsync(TunnelSession session, int port)
    {
        if (_listeners.ContainsKey(port)) return;
        try
        {
            var listener = ActivatorUtilities.CreateInstance<TcpPortListener>(services, new IPEndPoint(IPAddress.Parse(options.Listen.TcpAddress), port), session.TunnelId);
            if (!_listeners.TryAdd(port, listener)) await listener.DisposeAsync();
        }
        catch (SocketException e)
        {
            throw new TunnelRefusedException(TunnelErrorCodes.PortNotAllocated, $"Port {port} cannot be opened on the edge: {e.SocketErrorCode}.");
        }
    }

    /// <summary>
    /// Runs an attached session: <paramref name="online"/> marks it online and greets its client, then the session
    /// serves until it ends; then it is taken offline, in the store too if it was still the tunnel's current one.
    /// </summary>
    public async Task RunAsync(TunnelSession session, Func<Task> online)
    {
        try
        {
            await online();
            await session.RunAsync();
        }
        finally
        {
            if (await DetachAsync(session))
            {
                await store.SetOfflineAsync(session.TunnelId);
                logger.LogInformation("Tunnel {TunnelId} is offline.", session.TunnelId);
            }
        }
    }

    /// <summary>Takes a session offline (if it is still the tunnel's current one); true when it was.</summary>
    public async Task<bool> DetachAsync(TunnelSession session)
    {
        bool current;
        lock (_changing)
        {
            current = _byTunnel.TryRemove(new KeyValuePair<long, TunnelSession>(session.TunnelId, session));
            if (current) Forget(session);
        }
        if (current) await CloseListenersAsync(session.Ports);
        await session.DisposeAsync();
        return current;
    }

    private void Forget(TunnelSession session)
    {
        _bySession.TryRemove(session.Id, out _);
        for (var route = 0; route < session.Domains.Count; route++)
        {
            _byDomain.TryRemove(new KeyValuePair<string, (TunnelSession, int)>(session.Domains[route], (session, route)));
        }
    }

    private async Task CloseListenersAsync(IEnumerable<int> ports)
    {
        foreach (var port in ports)
        {
            if (_listeners.TryRemove(port, out var listener)) await listener.DisposeAsync();
        }
    }

    /// <summary>Shuts a tunnel's session down for good (its token was removed).</summary>
    public async Task ShutDownAsync(long tunnelId, string reason)
    {
        if (ForTunnel(tunnelId) is not { } session) return;
        await session.EndAsync(reason);
        await DetachAsync(session);
    }
}
