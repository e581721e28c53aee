using System.Net.Sockets;
using System.Text;

namespace Spokes.AppHost.Hosting;

/// <summary>Readiness probes that speak each server's own protocol, so "healthy" means "answers requests".</summary>
public static class Probes
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(3) };

    /// <summary>Redis answers PING (or asks for AUTH, which also proves it is serving); LOADING is not ready.</summary>
    public static async Task<HealthResult> RedisAsync(int port, CancellationToken cancellationToken)
    {
        var reply = await ExchangeAsync(port, "PING\r\n"u8.ToArray(), cancellationToken);
        if (reply is null) return HealthResult.Fail("not accepting connections");
        var line = Encoding.ASCII.GetString(reply).TrimEnd();
        return line.StartsWith("+PONG", StringComparison.Ordinal) || line.StartsWith("-NOAUTH", StringComparison.Ordinal)
            ? HealthResult.Pass("answers PING")
            : HealthResult.Fail(line);
    }

    /// <summary>An AMQP 0-9-1 broker answers the protocol header with a Connection.Start method frame.</summary>
    public static async Task<HealthResult> AmqpAsync(int port, CancellationToken cancellationToken)
    {
        var reply = await ExchangeAsync(port, "AMQP\0\0\u0009\u0001"u8.ToArray(), cancellationToken);
        return reply is [1, ..] ? HealthResult.Pass("AMQP 0-9-1 handshake") : HealthResult.Fail("no AMQP handshake yet");
    }

    public static async Task<HealthResult> TcpAsync(int port, CancellationToken cancellationToken)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync("127.0.0.1", port, cancellationToken);
            return HealthResult.Pass("accepts connections");
        }
        catch (SocketException e)
        {
            return HealthResult.Fail(e.SocketErrorCode.ToString());
        }
    }

    public static async Task<HealthResult> HttpAsync(string url, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await Http.GetAsync(url, cancellationToken);
            return response.IsSuccessStatusCode
                ? HealthResult.Pass($"{(int)response.StatusCode} from {new Uri(url).AbsolutePath}")
                : HealthResult.Fail($"{(int)response.StatusCode} from {new Uri(url).AbsolutePath}");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return HealthResult.Fail(e is TaskCanceledException ? "timed out" : e.Message);
        }
    }

    private static async Task<byte[]?> ExchangeAsync(int port, byte[] request, CancellationToken cancellationToken)
    {
        using var client = new TcpClient { NoDelay = true };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(3));
        try
        {
            await client.ConnectAsync("127.0.0.1", port, timeout.Token);
            var stream = client.GetStream();
            await stream.WriteAsync(request, timeout.Token);
            var buffer = new byte[256];
            var read = await stream.ReadAsync(buffer, timeout.Token);
            return read > 0 ? buffer[..read] : null;
        }
        catch (Exception e) when (e is SocketException or IOException
                                  || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return null;
        }
    }
}
