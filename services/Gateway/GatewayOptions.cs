namespace Spokes.Gateway;

public sealed class GatewayOptions
{
    public const string SectionName = "Gateway";

    /// <summary>Where users reach the Gateway; announced in <c>/.well-known/stoat</c>.</summary>
    public string PublicUrl { get; set; } = "http://localhost:8080";

    /// <summary>
    /// The origins whose scripts may read the answers (<c>https://web.example.com, http://localhost:5173</c>);
    /// empty, as in Stoat, any origin's.
    /// </summary>
    public string AllowedOrigins { get; set; } = "";
}
