using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Spokes.AppHost.Local;

/// <summary>
/// Readiness probes that speak each server's own protocol, so "healthy" means "answers requests", not merely
/// "accepts connections": Redis logs in and answers PING, RabbitMQ starts an AMQP 0-9-1 handshake, epmd lists
/// its nodes.
/// </summary>
public static class ServerProbes
{
    /// <summary>Redis accepts the password and answers PING; LOADING (still reading its append-only file) is not ready.</summary>
    public static async Task<HealthCheckResult> RedisAsync(int port, string password, CancellationToken cancellationToken)
    {
        var reply = await ExchangeAsync(port, Encoding.ASCII.GetBytes($"AUTH {password}\r\nPING\r\n"), "+PONG"u8.ToArray(), cancellationToken);
        if (reply is null) return HealthCheckResult.Unhealthy("not accepting connections");
        var text = Encoding.ASCII.GetString(reply);
        return text.StartsWith("+OK\r\n+PONG", StringComparison.Ordinal)
            ? HealthCheckResult.Healthy("logged in and answered PING")
            : HealthCheckResult.Unhealthy(text.Split("\r\n").FirstOrDefault(l => l.StartsWith('-')) ?? text.Trim());
    }

    /// <summary>An AMQP 0-9-1 broker answers the protocol header with a Connection.Start method frame.</summary>
    public static async Task<HealthCheckResult> AmqpAsync(int port, CancellationToken cancellationToken)
    {
        var reply = await ExchangeAsync(port, "AMQP\0\0\u0009\u0001"u8.ToArray(), null, cancellationToken);
        return reply is [1, ..] ? HealthCheckResult.Healthy("AMQP 0-9-1 handshake") : HealthCheckResult.Unhealthy("no AMQP handshake yet");
    }

    /// <summary>epmd answers NAMES_REQ with its own port number first (and then the nodes registered with it).</summary>
    public static async Task<HealthCheckResult> EpmdAsync(int port, CancellationToken cancellationToken)
    {
        var reply = await ExchangeAsync(port, [0, 1, (byte)'n'], null, cancellationToken);
        return reply is { Length: >= 4 } && (reply[0] << 24 | reply[1] << 16 | reply[2] << 8 | reply[3]) == port
            ? HealthCheckResult.Healthy("answers NAMES_REQ")
            : HealthCheckResult.Unhealthy("epmd does not answer NAMES_REQ yet");
    }

    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(3) };

    /// <summary>A success status from <paramref name="url"/> (a service's <c>/health</c>: every readiness check passes).</summary>
    public static async Task<HealthCheckResult> HttpAsync(string url, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await Http.GetAsync(url, cancellationToken);
            var result = $"{(int)response.StatusCode} from {new Uri(url).AbsolutePath}";
            return response.IsSuccessStatusCode ? HealthCheckResult.Healthy(result) : HealthCheckResult.Unhealthy(result);
        }
        catch (Exception e) when (e is HttpRequestException || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return HealthCheckResult.Unhealthy(e is TaskCanceledException ? "timed out" : e.Message);
        }
    }

    /// <summary>The awaited reply has arrived, or a whole error line (RESP errors start with '-').</summary>
    private static bool IsComplete(ReadOnlySpan<byte> reply, byte[] until) =>
        reply.IndexOf(until) >= 0 || ((reply.StartsWith("-"u8) || reply.IndexOf("\r\n-"u8) >= 0) && reply.EndsWith("\r\n"u8));

    /// <summary>
    /// Sends <paramref name="request"/> and reads the reply, until <paramref name="until"/> has been seen (or the
    /// first read, when null): a reply may arrive in pieces.
    /// </summary>
    private static async Task<byte[]?> ExchangeAsync(int port, byte[] request, byte[]? until, CancellationToken cancellationToken)
    {
        using var client = new TcpClient { NoDelay = true };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(3));
        try
        {
            await client.ConnectAsync("127.0.0.1", port, timeout.Token);
            var stream = client.GetStream();
            await stream.WriteAsync(request, timeout.Token);
            var reply = new MemoryStream();
            var buffer = new byte[512];
            int read;
            while ((read = await stream.ReadAsync(buffer, timeout.Token)) > 0)
            {
                reply.Write(buffer, 0, read);
                if (until is null || IsComplete(reply.ToArray(), until)) break;
            }
            return reply.Length > 0 ? reply.ToArray() : null;
        }
        catch (Exception e) when (e is SocketException or IOException
                                  || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return null;
        }
    }
}
