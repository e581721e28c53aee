using System.Security.Cryptography;
using System.Text;

namespace Spokes.Contracts.Internal;

/// <summary>
/// Calls between services (the Events service's gRPC calls to the Api) carry the suite's internal key, which the
/// AppHost hands every service that makes or answers them: reaching a port is not enough to read anyone's data.
/// </summary>
public static class InternalCalls
{
    /// <summary>The request header (gRPC metadata) that carries the key.</summary>
    public const string Header = "x-spokes-internal-key";

    /// <summary>The setting that holds it (<c>Internal__Key</c>).</summary>
    public const string KeySetting = "Internal:Key";

    /// <summary>Compared in constant time: how long a wrong key takes must not tell how much of it was right.</summary>
    public static bool IsValid(string? presented, string? expected) =>
        !string.IsNullOrEmpty(presented) && !string.IsNullOrEmpty(expected)
        && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), Encoding.UTF8.GetBytes(expected));
}

/// <summary>Puts the suite's internal key on every call a service's gRPC client makes to another service.</summary>
public sealed class InternalKeyHandler(string key) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Add(InternalCalls.Header, key);
        return base.SendAsync(request, cancellationToken);
    }
}
