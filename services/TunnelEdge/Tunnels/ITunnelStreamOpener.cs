using Spokes.Contracts.Tunnels;

namespace Spokes.TunnelEdge.Tunnels;

/// <summary>
/// How a front door reaches a tunnel's client: one duplex stream per visitor, whatever carries it (a stream of a
/// multiplexed data connection, a pooled data connection, a localtunnel socket). The public HTTP and TCP listeners
/// use only this; every kind of session (<see cref="TunnelSession"/>) implements it.
/// </summary>
public interface ITunnelStreamOpener
{
    /// <summary>
    /// A stream to the client for a visitor of the HTTP route or TCP port in <paramref name="visitor"/>. The returned
    /// end half-closes (<see cref="RelayEnd.CloseWriteAsync"/>) and, disposed, ends the visitor's stream only.
    /// </summary>
    /// <exception cref="TimeoutException">The client gave no way to it in time.</exception>
    /// <exception cref="IOException">The client's connection broke while the stream was being opened.</exception>
    Task<RelayEnd> OpenAsync(Start visitor, CancellationToken cancellationToken);
}
