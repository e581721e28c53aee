using Microsoft.Extensions.Configuration;

namespace Spokes.AppHost.Suite;

/// <summary>
/// The Aspire dashboard on loopback over plain HTTP, so it needs no development certificate (none can be trusted
/// on a headless server): the browser page on <c>--dashboard-port</c> (18888, or a free port if that is taken),
/// and the OTLP and resource-service endpoints on free ports. Settings given in the environment or in
/// launchSettings.json win; an explicit <c>--dashboard-port</c> wins over them.
/// </summary>
public static class Dashboard
{
    public const int DefaultPort = 18888;

    public static void Configure(IDistributedApplicationBuilder builder, int? requestedPort)
    {
        var configuration = builder.Configuration;
        SetDefault(configuration, "ASPIRE_ALLOW_UNSECURED_TRANSPORT", "true");
        if (requestedPort is { } port || string.IsNullOrEmpty(configuration["ASPNETCORE_URLS"]))
        {
            var chosen = requestedPort ?? DefaultPort;
            configuration["ASPNETCORE_URLS"] = $"http://127.0.0.1:{(LoopbackPorts.IsFree(chosen) ? chosen : LoopbackPorts.Free())}";
        }
        if (string.IsNullOrEmpty(configuration["ASPIRE_DASHBOARD_OTLP_HTTP_ENDPOINT_URL"]))
        {
            SetDefault(configuration, "ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL", $"http://127.0.0.1:{LoopbackPorts.Free()}");
        }
        SetDefault(configuration, "ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL", $"http://127.0.0.1:{LoopbackPorts.Free()}");
    }

    /// <summary>The page to open: the dashboard's address with the login token of this run.</summary>
    public static string? LoginUrl(IConfiguration configuration)
    {
        var url = configuration["ASPNETCORE_URLS"]?.Split(';')[0].TrimEnd('/');
        if (string.IsNullOrEmpty(url)) return null;
        return configuration["AppHost:BrowserToken"] is { Length: > 0 } token ? $"{url}/login?t={token}" : url;
    }

    private static void SetDefault(IConfiguration configuration, string key, string value)
    {
        if (string.IsNullOrEmpty(configuration[key])) configuration[key] = value;
    }
}
