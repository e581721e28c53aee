using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Spokes.Contracts.Tunnels;

namespace Spokes.TunnelClient;

/// <summary>A TLS connection to the edge's tunnel port, trusting a pinned certificate or else the system's CAs.</summary>
public static class EdgeConnection
{
    public const int DefaultPort = 8443;

    public static (string Host, int Port) Parse(string address)
    {
        var separator = address.LastIndexOf(':');
        if (separator > 0 && !address.EndsWith(']') && int.TryParse(address[(separator + 1)..], out var port) && port is > 0 and < 65536)
            return (address[..separator].Trim('[', ']'), port);
        return (address.Trim('[', ']'), DefaultPort);
    }

    public static async Task<(Socket Socket, SslStream Stream)> OpenAsync(string address, string? pin, CancellationToken cancellationToken)
    {
        var (host, port) = Parse(address);
        var socket = await ConnectAsync(host, port, cancellationToken);
        try
        {
            var stream = new SslStream(new NetworkStream(socket, ownsSocket: true));
            await stream.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = host,
                EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                RemoteCertificateValidationCallback = (_, certificate, _, errors) => pin is { Length: > 0 }
                    ? certificate is not null && Matches(pin, certificate)
                    : errors == SslPolicyErrors.None,
                // A pinned certificate is trusted by its pin alone: the chain TLS still builds needs no system store
                // and no downloads. That cuts the client's handshake work per data connection (one per visitor) by a third.
                CertificateChainPolicy = pin is { Length: > 0 }
                    ? new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck, DisableCertificateDownloads = true }
                    : null,
            }, cancellationToken);
            return (socket, stream);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>A data connection without TLS, for an edge that allows them (trusted networks).</summary>
    public static async Task<(Socket Socket, Stream Stream)> OpenPlaintextAsync(string address, CancellationToken cancellationToken)
    {
        var (host, port) = Parse(address);
        var socket = await ConnectAsync(host, port, cancellationToken);
        return (socket, new NetworkStream(socket, ownsSocket: true));
    }

    private static async Task<Socket> ConnectAsync(string host, int port, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(host, port, cancellationToken);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static bool Matches(string pin, X509Certificate certificate)
    {
        var expected = Convert.FromHexString(pin.Replace(":", "").Trim());
        return CryptographicOperations.FixedTimeEquals(expected, SHA256.HashData(certificate.GetRawCertData()));
    }

    /// <summary>One request, one reply (registration, port allocation); an edge refusal becomes a <see cref="ClientException"/>.</summary>
    public static async Task<TReply> AskAsync<TReply>(string address, string? pin, TunnelMessage request, CancellationToken cancellationToken)
        where TReply : TunnelMessage
    {
        var (socket, stream) = await OpenAsync(address, pin, cancellationToken);
        await using (stream)
        using (socket)
        {
            await TunnelFraming.WriteAsync(stream, request, cancellationToken);
            return await TunnelFraming.ReadAsync(stream, cancellationToken) switch
            {
                TReply reply => reply,
                TunnelError error => throw new ClientException($"The edge refused: {error.Message} ({error.Code})"),
                var other => throw new ClientException($"The edge answered {other?.GetType().Name ?? "nothing"}."),
            };
        }
    }
}
