using System.Collections.Concurrent;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Spokes.TunnelEdge.Acme;

/// <summary>A certificate the CA issued, ready to serve.</summary>
public sealed record IssuedCertificate(string Name, SslStreamCertificateContext Context, DateTimeOffset NotBefore, DateTimeOffset NotAfter, string Serial);

/// <summary>
/// Issued certificates kept under <c>DATAPATH/acme/certificates</c> (<c>NAME.pem</c> chain, <c>NAME.key</c>; a wildcard's
/// file name starts with <c>_</c>), loaded at start, replaced whole when renewed; looked up by SNI name, exact then wildcard.
/// </summary>
public sealed class AcmeCertificateStore
{
    private readonly string _folder;
    private readonly ConcurrentDictionary<string, IssuedCertificate> _byName = new();

    public AcmeCertificateStore(string folder, ILogger logger)
    {
        _folder = folder;
        Directory.CreateDirectory(folder);
        foreach (var chainFile in Directory.EnumerateFiles(folder, "*.pem"))
        {
            var name = FileNameToHost(Path.GetFileNameWithoutExtension(chainFile));
            try
            {
                _byName[name] = Load(name, File.ReadAllText(chainFile), File.ReadAllText(Path.ChangeExtension(chainFile, ".key")));
            }
            catch (Exception e) when (e is IOException or System.Security.Cryptography.CryptographicException or ArgumentException)
            {
                logger.LogWarning("ACME: the stored certificate {File} cannot be read ({Reason}); it will be ordered again.", chainFile, e.Message);
            }
        }
    }

    public IEnumerable<IssuedCertificate> All => _byName.Values;

    public IssuedCertificate? Get(string name) => _byName.GetValueOrDefault(name);

    /// <summary>The certificate for an SNI name: its own, else the wildcard one level up.</summary>
    public IssuedCertificate? Find(string serverName)
    {
        if (_byName.TryGetValue(serverName, out var exact)) return exact;
        var dot = serverName.IndexOf('.');
        return dot > 0 && _byName.TryGetValue("*" + serverName[dot..], out var wildcard) ? wildcard : null;
    }

    /// <summary>Checks, writes (key first, then the chain, each through a temporary file) and starts serving a new certificate.</summary>
    public IssuedCertificate Save(string name, string chainPem, string keyPem)
    {
        var issued = Load(name, chainPem, keyPem);
        var chainFile = Path.Combine(_folder, HostToFileName(name) + ".pem");
        WriteReplacing(Path.ChangeExtension(chainFile, ".key"), keyPem);
        WriteReplacing(chainFile, chainPem);
        _byName[name] = issued;
        return issued;
    }

    private static IssuedCertificate Load(string name, string chainPem, string keyPem)
    {
        var chain = new X509Certificate2Collection();
        chain.ImportFromPem(chainPem);
        if (chain.Count == 0) throw new ArgumentException("no certificate in the chain");
        using var withKey = X509Certificate2.CreateFromPem(chainPem, keyPem);
        // An exportable PKCS#12 copy: TLS on Linux wants the key in a form it can keep.
        var leaf = X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
        var intermediates = new X509Certificate2Collection();
        for (var i = 1; i < chain.Count; i++) intermediates.Add(chain[i]);
        var context = SslStreamCertificateContext.Create(leaf, intermediates, offline: true);
        return new IssuedCertificate(name, context, leaf.NotBefore.ToUniversalTime(), leaf.NotAfter.ToUniversalTime(), leaf.SerialNumber);
    }

    private static void WriteReplacing(string path, string text)
    {
        var temporary = path + ".new";
        File.WriteAllText(temporary, text);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(temporary, path, overwrite: true);
    }

    private static string HostToFileName(string name) => name.StartsWith("*.", StringComparison.Ordinal) ? "_" + name[1..] : name;

    private static string FileNameToHost(string fileName) => fileName.StartsWith("_.", StringComparison.Ordinal) ? "*" + fileName[1..] : fileName;
}
