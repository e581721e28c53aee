using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Spokes.TunnelEdge;

/// <summary>
/// The tunnel port's certificate (configured, or self-signed and kept under dataPath so clients can pin its
/// SHA-256 fingerprint) and the public HTTPS certificates, chosen by SNI.
/// </summary>
public sealed class EdgeCertificates
{
    private readonly List<X509Certificate2> _public;

    public EdgeCertificates(EdgeOptions options)
    {
        var tunnel = options.Tls.Tunnel is { Cert.Length: > 0 } paths ? LoadPem(paths) : LoadOrCreateSelfSigned(options);
        TunnelContext = SslStreamCertificateContext.Create(tunnel, additionalCertificates: null, offline: true);
        TunnelFingerprint = Fingerprint(tunnel);
        _public = options.Tls.Certificates.Select(LoadPem).ToList();
    }

    public SslStreamCertificateContext TunnelContext { get; }

    /// <summary>SHA-256 of the tunnel certificate, hex with colons (what <c>spokes-tunnel configure --pin</c> takes).</summary>
    public string TunnelFingerprint { get; }

    public static string Fingerprint(X509Certificate certificate) =>
        Convert.ToHexString(SHA256.HashData(certificate.GetRawCertData())).Chunk(2).Select(pair => new string(pair)).Aggregate((a, b) => $"{a}:{b}");

    /// <summary>The certificate for an HTTPS visitor's SNI name: the first that covers it (wildcards too), else the first.</summary>
    public X509Certificate2? ForServerName(string? serverName) =>
        (serverName is null ? null : _public.FirstOrDefault(c => c.MatchesHostname(serverName))) ?? _public.FirstOrDefault();

    private static X509Certificate2 LoadPem(CertificatePaths paths)
    {
        using var pem = X509Certificate2.CreateFromPemFile(paths.Cert, paths.Key);
        // An exportable PKCS#12 copy: TLS on Linux wants the key in a form it can keep.
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
    }

    private static X509Certificate2 LoadOrCreateSelfSigned(EdgeOptions options)
    {
        var path = Path.Combine(options.DataPath, "tunnel-certificate.pfx");
        if (File.Exists(path)) return X509CertificateLoader.LoadPkcs12FromFile(path, null);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={options.Domain}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(options.Domain);
        request.CertificateExtensions.Add(names.Build());
        using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(10));
        var pfx = created.Export(X509ContentType.Pkcs12);
        Directory.CreateDirectory(options.DataPath);
        File.WriteAllBytes(path, pfx);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return X509CertificateLoader.LoadPkcs12(pfx, null);
    }
}
