namespace Spokes.Egress;

/// <summary>
/// A connection the egress rules did not allow. It reaches callers as the inner exception of the
/// <see cref="HttpRequestException"/> the HttpClient throws; nothing was sent to the target.
/// </summary>
public sealed class EgressRefusedException(string host, int port, string reason)
    : Exception($"Connection to {host}:{port} refused: {reason}")
{
    public string Host { get; } = host;
    public int Port { get; } = port;
    public string Reason { get; } = reason;

    /// <summary>Whether an exception from an egress HttpClient is a refusal by the rules.</summary>
    public static bool IsRefusal(Exception exception)
    {
        for (Exception? e = exception; e is not null; e = e.InnerException)
        {
            if (e is EgressRefusedException) return true;
        }
        return false;
    }
}

/// <summary>A response body longer than the caller's cap; no more than the cap was read.</summary>
public sealed class EgressLimitExceededException(long maxBytes)
    : Exception($"The response is larger than {maxBytes} bytes")
{
    public long MaxBytes { get; } = maxBytes;
}
