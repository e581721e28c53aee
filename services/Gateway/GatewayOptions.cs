namespace Spokes.Gateway;

public sealed class GatewayOptions
{
    public const string SectionName = "Gateway";

    /// <summary>Where users reach the Gateway; announced in <c>/.well-known/stoat</c>.</summary>
    public string PublicUrl { get; set; } = "http://localhost:8080";
}
