using System.Collections.Immutable;
using System.Net;
using Spokes.Contracts.Tunnels;
using Spokes.TunnelEdge.Tunnels;

namespace Spokes.TunnelEdge.Ssh;

/// <summary>
/// A tunnel whose visitors' streams come from an SSH session: no pool of data connections, but a
/// <c>forwarded-tcpip</c> channel opened per visitor on the client's one connection, for the forward the visitor's
/// route or port belongs to. Routes and ports grow as the client asks for forwards.
/// </summary>
public sealed class SshTunnelSession : TunnelSession
{
    private readonly SshConnection _connection;
    private readonly GrowingList<string> _domains;
    private readonly GrowingSet<int> _ports;
    private readonly TimeSpan _openTimeout;
    private ImmutableList<SshForward> _forwards = [];

    private SshTunnelSession(long tunnelId, string hostname, IPEndPoint remote, SshConnection connection, GrowingList<string> domains, GrowingSet<int> ports,
        EdgeOptions options, TrafficMeter meter, ILogger logger)
        : base(tunnelId, hostname, remote, domains, ports, options, meter, logger)
    {
        _connection = connection;
        _domains = domains;
        _ports = ports;
        _openTimeout = options.Limits.DataConnectionTimeout;
    }

    public static SshTunnelSession Create(long tunnelId, string hostname, IPEndPoint remote, SshConnection connection, SshForward first,
        EdgeOptions options, TrafficMeter meter, ILogger logger)
    {
        var session = new SshTunnelSession(tunnelId, hostname, remote, connection, new GrowingList<string>(), new GrowingSet<int>(), options, meter, logger);
        session.Add(first);
        return session;
    }

    public IReadOnlyList<SshForward> Forwards => _forwards;

    /// <summary>Whether an HTTP route or a TCP port is served by this session already.</summary>
    public bool Serves(string? domain, int? port) => domain is not null && _domains.Contains(domain) || port is { } p && _ports.Contains(p);

    public void Add(SshForward forward)
    {
        ImmutableInterlocked.Update(ref _forwards, list => list.Add(forward));
        if (forward.Domain is { } domain) _domains.Add(domain);
        if (forward.Port is { } port) _ports.Add(port);
    }

    protected override async Task ServeClientAsync()
    {
        try
        {
            using var done = CancellationTokenSource.CreateLinkedTokenSource(_connection.Ended, Ended);
            await Task.Delay(Timeout.Infinite, done.Token);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>A channel for the visitor's forward, opened now: SSH channels cost no connection, so none are pooled.</summary>
    public override async Task<RelayEnd> OpenAsync(Start visitor, CancellationToken cancellationToken)
    {
        var forward = _forwards.FirstOrDefault(f => visitor.Domain is { } domain ? f.Domain == domain : f.Port == visitor.Port)
                      ?? throw new IOException("This SSH session forwards no such route.");
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, Ended);
        wait.CancelAfter(_openTimeout);
        try
        {
            var channel = await _connection.OpenForwardedAsync(forward, wait.Token);
            return RelayEnd.ClosingBy(channel, channel.SendEofAsync);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"Tunnel {TunnelId}'s SSH client accepted no channel within {_openTimeout.TotalSeconds:F0} s.");
        }
    }

    public override async Task EndAsync(string? shutdownReason)
    {
        await _connection.EndAsync(shutdownReason ?? "The tunnel's session ended.");
        await DisposeAsync();
    }

    protected override async ValueTask DisposeClientAsync() => await _connection.EndAsync("Another session of this tunnel took over, or the edge is stopping.");

    /// <summary>A list that only grows, read while it grows (the registry reads routes by index).</summary>
    private sealed class GrowingList<T> : IReadOnlyList<T>
    {
        private ImmutableList<T> _items = [];

        public void Add(T item) => ImmutableInterlocked.Update(ref _items, items => items.Add(item));

        public T this[int index] => _items[index];
        public int Count => _items.Count;
        public IEnumerator<T> GetEnumerator() => _items.GetEnumerator();
        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    /// <summary>A set that only grows, read while it grows.</summary>
    private sealed class GrowingSet<T> : IReadOnlySet<T>
    {
        private ImmutableHashSet<T> _items = [];

        public void Add(T item) => ImmutableInterlocked.Update(ref _items, items => items.Add(item));

        public int Count => _items.Count;
        public bool Contains(T item) => _items.Contains(item);
        public bool IsProperSubsetOf(IEnumerable<T> other) => _items.IsProperSubsetOf(other);
        public bool IsProperSupersetOf(IEnumerable<T> other) => _items.IsProperSupersetOf(other);
        public bool IsSubsetOf(IEnumerable<T> other) => _items.IsSubsetOf(other);
        public bool IsSupersetOf(IEnumerable<T> other) => _items.IsSupersetOf(other);
        public bool Overlaps(IEnumerable<T> other) => _items.Overlaps(other);
        public bool SetEquals(IEnumerable<T> other) => _items.SetEquals(other);
        public IEnumerator<T> GetEnumerator() => _items.GetEnumerator();
        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
