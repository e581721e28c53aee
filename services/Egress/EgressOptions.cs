namespace Spokes.Egress;

/// <summary>
/// The operator's egress settings (section <c>Egress</c>). The AppHost hands <c>SPOKES_EGRESS_ALLOW</c> to every
/// service that fetches user-chosen URLs as <c>Egress__Allow</c>.
/// </summary>
public sealed class EgressOptions
{
    /// <summary>Comma-separated <c>host:port</c> that may be reached although not public (<c>[::1]:8080</c> for IPv6).</summary>
    public string Allow { get; set; } = "";

    /// <summary>Comma-separated ports public addresses may be reached on.</summary>
    public string Ports { get; set; } = "80,443";

    /// <summary>The DNS server (<c>ip:port</c>) to resolve names with; the system resolver when empty.</summary>
    public string DnsServer { get; set; } = "";
}

/// <summary>How one named egress HttpClient behaves.</summary>
public sealed class EgressClientOptions
{
    /// <summary>Redirects are followed up to five times, each new connection checked again; push endpoints follow none.</summary>
    public bool FollowRedirects { get; set; } = true;

    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>The most a buffered response (one not read with <c>ResponseHeadersRead</c>) may hold.</summary>
    public long MaxResponseBytes { get; set; } = 16 * 1024 * 1024;
}
