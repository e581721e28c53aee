using System.Net;
using System.Net.Security;
using Spokes.Contracts.Tunnels;

namespace Spokes.TunnelEdge.Tunnels;

/// <summary>
/// A session of Spokes' own client (`spokes-tunnel`): a TLS control connection carrying pings and requests
/// for more data connections, and data connections that present <see cref="TunnelSession.Id"/> and
/// <see cref="Secret"/> and are told by a <see cref="Start"/> message what each visitor wants.
/// </summary>
public sealed class ClientSession(long tunnelId, string hostname, IPEndPoint remote, SslStream control, IReadOnlyList<string> domains,
    IReadOnlySet<int> ports, EdgeOptions options, TrafficMeter meter, ILogger logger)
    : TunnelSession(tunnelId, hostname, remote, domains, ports, options.TunOptions.IdlePoolSize, options, meter, logger)
{
    private static readonly TimeSpan PingInterval = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan SilenceLimit = TimeSpan.FromSeconds(60);

    private readonly SemaphoreSlim _writing = new(1, 1);

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

    protected override ValueTask DisposeClientAsync() => control.DisposeAsync();
}
