namespace Spokes.TunnelEdge.Acme;

/// <summary>
/// Certificates for public HTTPS from an ACME CA (RFC 8555): the edge's domain at start, each tunnel hostname when a
/// visitor first asks for it, <see cref="Wildcards"/> through <see cref="DnsHook"/>. Off unless <see cref="Directory"/> is set.
/// </summary>
public sealed class AcmeOptions
{
    public const string LetsEncryptProduction = "https://acme-v02.api.letsencrypt.org/directory";
    public const string LetsEncryptStaging = "https://acme-staging-v02.api.letsencrypt.org/directory";

    /// <summary><c>letsencrypt</c>, <c>letsencrypt-staging</c>, or the URL of any ACME directory. Empty = off.</summary>
    public string Directory { get; set; } = "";

    /// <summary>The account's contact address (optional; the CA mails expiry warnings there).</summary>
    public string Email { get; set; } = "";

    /// <summary>A PEM file of CA certificates the directory's HTTPS is checked against (a private ACME CA), instead of the system's.</summary>
    public string DirectoryCaFile { get; set; } = "";

    /// <summary>Challenge types in order of preference; the first one the CA offers is answered. Empty = http-01, then tls-alpn-01.</summary>
    public List<string> Challenges { get; set; } = [];

    /// <summary>A certificate is renewed when it expires within this long.</summary>
    public TimeSpan RenewBefore { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How often certificates are checked for renewal and failed orders retried.</summary>
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>On-demand orders (tunnel hostnames) the edge places per hour at most: a guard for the CA's rate limits.</summary>
    public int OnDemandPerHour { get; set; } = 20;

    /// <summary>How long a hostname whose order failed waits before it is ordered again on demand.</summary>
    public TimeSpan RetryAfterFailure { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Wildcard names (<c>*.DOMAIN</c>) ordered at start through DNS-01; they need <see cref="DnsHook"/>.</summary>
    public List<string> Wildcards { get; set; } = [];

    /// <summary>
    /// A program run as <c>HOOK set NAME VALUE</c> to publish a DNS-01 TXT record and <c>HOOK clear NAME VALUE</c>
    /// to remove it; exit code 0 = done.
    /// </summary>
    public string DnsHook { get; set; } = "";

    // A list's default would be appended to by the configuration binder, not replaced: the default lives here.
    public IReadOnlyList<string> PreferredChallenges => Challenges.Count > 0 ? Challenges : [AcmeChallenges.Http01, AcmeChallenges.TlsAlpn01];

    public bool Enabled => !string.IsNullOrWhiteSpace(Directory);

    public string DirectoryUrl => Directory.Trim() switch
    {
        "letsencrypt" => LetsEncryptProduction,
        "letsencrypt-staging" => LetsEncryptStaging,
        var url => url,
    };

    public void Validate()
    {
        if (!Enabled) return;
        if (!Uri.TryCreate(DirectoryUrl, UriKind.Absolute, out var url) || url.Scheme != Uri.UriSchemeHttps)
            throw new InvalidOperationException($"TunnelEdge: acme.directory '{Directory}' is not letsencrypt, letsencrypt-staging or an https URL.");
        if (Challenges.Any(c => c is not (AcmeChallenges.Http01 or AcmeChallenges.TlsAlpn01)))
            throw new InvalidOperationException($"TunnelEdge: acme.challenges takes {AcmeChallenges.Http01} and {AcmeChallenges.TlsAlpn01}.");
        if (Wildcards.Count > 0 && string.IsNullOrWhiteSpace(DnsHook))
            throw new InvalidOperationException("TunnelEdge: acme.wildcards need acme.dnsHook (wildcard certificates are validated through DNS-01).");
        if (Wildcards.Any(w => !w.StartsWith("*.", StringComparison.Ordinal) || !Hostnames.IsValid(Hostnames.Normalize(w))))
            throw new InvalidOperationException("TunnelEdge: acme.wildcards are names of the form *.example.com.");
        if (RenewBefore <= TimeSpan.Zero || CheckInterval <= TimeSpan.Zero || RetryAfterFailure < TimeSpan.Zero || OnDemandPerHour < 0)
            throw new InvalidOperationException("TunnelEdge: acme.renewBefore and acme.checkInterval must be positive, acme.onDemandPerHour and acme.retryAfterFailure not negative.");
    }
}
