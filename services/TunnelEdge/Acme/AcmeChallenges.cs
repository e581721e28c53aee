using System.Collections.Concurrent;
using System.Diagnostics;
using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Spokes.TunnelEdge.Acme;

/// <summary>
/// The answers to challenges in flight: HTTP-01 key authorizations (served on the public HTTP port), TLS-ALPN-01
/// certificates (served on the public HTTPS port to a client offering only <c>acme-tls/1</c>), DNS-01 records
/// (published by the operator's hook).
/// </summary>
public sealed class AcmeChallenges
{
    public const string Http01 = "http-01";
    public const string TlsAlpn01 = "tls-alpn-01";
    public const string Dns01 = "dns-01";
    public const string AcmeTlsProtocol = "acme-tls/1";
    public const string HttpPathPrefix = "/.well-known/acme-challenge/";

    private static readonly Oid AcmeIdentifierOid = new("1.3.6.1.5.5.7.1.31");
    private readonly ConcurrentDictionary<string, string> _httpTokens = new();
    private readonly ConcurrentDictionary<string, SslStreamCertificateContextHolder> _alpnCertificates = new();

    public string? HttpKeyAuthorization(string token) => _httpTokens.GetValueOrDefault(token);

    public System.Net.Security.SslStreamCertificateContext? AlpnCertificate(string? serverName) =>
        serverName is null ? null : _alpnCertificates.GetValueOrDefault(Hostnames.Normalize(serverName))?.Context;

    /// <summary>Serves <paramref name="keyAuthorization"/> for the challenge until the returned handle is disposed.</summary>
    public IDisposable Answer(string type, string name, string token, string keyAuthorization)
    {
        switch (type)
        {
            case Http01:
                _httpTokens[token] = keyAuthorization;
                return new Removal(() => _httpTokens.TryRemove(token, out _));
            case TlsAlpn01:
                var holder = new SslStreamCertificateContextHolder(AlpnCertificateFor(name, keyAuthorization));
                _alpnCertificates[name] = holder;
                return new Removal(() => _alpnCertificates.TryRemove(new KeyValuePair<string, SslStreamCertificateContextHolder>(name, holder)));
            default:
                throw new ArgumentOutOfRangeException(nameof(type), type, "The edge answers http-01 and tls-alpn-01 itself.");
        }
    }

    /// <summary>RFC 8737: a self-signed certificate for the name with the critical acmeIdentifier extension (SHA-256 of the key authorization).</summary>
    public static X509Certificate2 AlpnCertificateFor(string name, string keyAuthorization)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(name);
        request.CertificateExtensions.Add(names.Build());
        var writer = new AsnWriter(AsnEncodingRules.DER);
        writer.WriteOctetString(SHA256.HashData(Encoding.ASCII.GetBytes(keyAuthorization)));
        request.CertificateExtensions.Add(new X509Extension(AcmeIdentifierOid, writer.Encode(), critical: true));
        using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(7));
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>The TXT value of a DNS-01 challenge: base64url(SHA-256(key authorization)).</summary>
    public static string DnsTxtValue(string keyAuthorization) => AcmeClient.Base64Url(SHA256.HashData(Encoding.ASCII.GetBytes(keyAuthorization)));

    /// <summary>Runs the operator's DNS hook (<c>HOOK set|clear NAME VALUE</c>); a failure or a hook running over a minute throws.</summary>
    public static async Task RunDnsHookAsync(string hook, string action, string name, string value, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(hook) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(action);
        info.ArgumentList.Add(name);
        info.ArgumentList.Add(value);
        Process? started;
        try
        {
            started = Process.Start(info);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            // Missing or not executable: an order that fails like any other, not an exception that ends the certificate service.
            throw new AcmeException($"The DNS hook {hook} did not start: {e.Message}");
        }
        using var process = started ?? throw new AcmeException($"The DNS hook {hook} did not start.");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(1));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new AcmeException($"The DNS hook ({action} {name}) ran over a minute.");
        }
        await output;
        if (process.ExitCode != 0) throw new AcmeException($"The DNS hook ({action} {name}) exited with {process.ExitCode}: {(await error).Trim()}");
    }

    private sealed class Removal(Action remove) : IDisposable
    {
        public void Dispose() => remove();
    }

    private sealed class SslStreamCertificateContextHolder(X509Certificate2 certificate)
    {
        public System.Net.Security.SslStreamCertificateContext Context { get; } =
            System.Net.Security.SslStreamCertificateContext.Create(certificate, additionalCertificates: null, offline: true);
    }
}
