using System.Collections.Concurrent;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using KestrelListenOptions = Microsoft.AspNetCore.Server.Kestrel.Core.ListenOptions;

namespace Spokes.TunnelEdge.Acme;

/// <summary>
/// The public HTTPS listener's TLS: the ClientHello is read first (not consumed) so a TLS-ALPN-01 validation
/// (<c>acme-tls/1</c>) gets its challenge certificate; every other handshake gets the certificate for its SNI
/// name — issued by ACME, else configured (<c>tls.certificates</c>), else the tunnel port's own.
/// </summary>
public sealed class PublicTls(EdgeCertificates certificates, AcmeChallenges challenges, AcmeService? acme = null)
{
    private const string OffersAcmeTls = "spokes.acme-tls";
    private static readonly TimeSpan ClientHelloTimeout = TimeSpan.FromSeconds(10);
    private static readonly List<SslApplicationProtocol> HttpProtocols = [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11];
    private static readonly List<SslApplicationProtocol> AcmeProtocols = [new(AcmeChallenges.AcmeTlsProtocol)];
    private readonly ConcurrentDictionary<X509Certificate2, SslStreamCertificateContext> _configured = new();

    public void Configure(KestrelListenOptions listen)
    {
        listen.Use(next => async connection =>
        {
            if (await OffersAcmeTlsAsync(connection)) connection.Items[OffersAcmeTls] = true;
            await next(connection);
        });
        listen.UseHttps(new TlsHandshakeCallbackOptions { OnConnection = context => ValueTask.FromResult(Options(context)) });
    }

    private SslServerAuthenticationOptions Options(TlsHandshakeCallbackContext context)
    {
        var serverName = context.ClientHelloInfo.ServerName;
        if (context.Connection.Items.ContainsKey(OffersAcmeTls) && challenges.AlpnCertificate(serverName) is { } challenge)
            return new SslServerAuthenticationOptions { ServerCertificateContext = challenge, ApplicationProtocols = AcmeProtocols };
        return new SslServerAuthenticationOptions { ServerCertificateContext = ContextFor(serverName), ApplicationProtocols = HttpProtocols };
    }

    private SslStreamCertificateContext ContextFor(string? serverName)
    {
        if (acme?.ForServerName(serverName) is { } issued) return issued;
        return certificates.ForServerName(serverName) is { } configured
            ? _configured.GetOrAdd(configured, c => SslStreamCertificateContext.Create(c, additionalCertificates: null, offline: true))
            : certificates.TunnelContext;
    }

    /// <summary>Peeks at the first TLS record (up to 10 s) for <c>acme-tls/1</c> in its ALPN list; leaves the bytes for the handshake.</summary>
    private static async Task<bool> OffersAcmeTlsAsync(ConnectionContext connection)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed);
        timeout.CancelAfter(ClientHelloTimeout);
        var input = connection.Transport.Input;
        try
        {
            while (true)
            {
                var read = await input.ReadAsync(timeout.Token);
                var buffer = read.Buffer;
                if (ClientHello.IsComplete(buffer) || buffer.Length >= ClientHello.MaxRecordLength || read.IsCompleted || read.IsCanceled)
                {
                    var offered = ClientHello.AlpnProtocols(buffer).Contains(AcmeChallenges.AcmeTlsProtocol);
                    input.AdvanceTo(buffer.Start);
                    return offered;
                }
                input.AdvanceTo(buffer.Start, buffer.End);
            }
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}

/// <summary>Answers HTTP-01 validations on the public HTTP port; other requests (and unknown tokens) go on to the tunnels.</summary>
public static class AcmeHttpChallenge
{
    public static async Task HandleAsync(HttpContext context, RequestDelegate next)
    {
        var path = context.Request.Path.Value ?? "";
        if (context.Request.IsHttps || !path.StartsWith(AcmeChallenges.HttpPathPrefix, StringComparison.Ordinal)
            || context.RequestServices.GetService<AcmeChallenges>()?.HttpKeyAuthorization(path[AcmeChallenges.HttpPathPrefix.Length..]) is not { } answer)
        {
            await next(context);
            return;
        }
        context.Response.ContentType = "application/octet-stream";
        context.Response.Headers.CacheControl = "no-store";
        await context.Response.WriteAsync(answer);
    }
}
