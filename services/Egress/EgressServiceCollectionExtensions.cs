using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Spokes.Egress;

public static class EgressServiceCollectionExtensions
{
    /// <summary>
    /// A named HttpClient for URLs that users chose (pages to embed, images to proxy, push endpoints): it connects
    /// only where <see cref="EgressRules"/> allow, sends no cookies or credentials and uses no proxy. The suite's
    /// default handlers (service discovery, which would resolve names to the suite's own services, and retries) are
    /// left out on purpose.
    /// </summary>
    public static IHttpClientBuilder AddEgressHttpClient(this IServiceCollection services, string name, Action<EgressClientOptions>? configure = null)
    {
        services.AddOptions<EgressOptions>().BindConfiguration("Egress");
        services.TryAddSingleton(sp => new EgressRules(sp.GetRequiredService<IOptions<EgressOptions>>().Value));
        services.TryAddSingleton<IEgressResolver>(sp =>
        {
            var server = sp.GetRequiredService<IOptions<EgressOptions>>().Value.DnsServer;
            if (string.IsNullOrWhiteSpace(server)) return new SystemResolver();
            var (host, port) = EgressRules.ParseHostPort(server.Trim(), "Egress:DnsServer");
            return new DnsServerResolver(new IPEndPoint(IPAddress.Parse(host), port));
        });
        services.TryAddSingleton<EgressConnector>();

        var client = new EgressClientOptions();
        configure?.Invoke(client);
        return services.AddHttpClient(name, http =>
            {
                http.Timeout = client.Timeout;
                http.MaxResponseContentBufferSize = client.MaxResponseBytes;
            })
            .ConfigurePrimaryHttpMessageHandler(sp => new SocketsHttpHandler
            {
                ConnectCallback = sp.GetRequiredService<EgressConnector>().ConnectAsync,
                ConnectTimeout = TimeSpan.FromSeconds(5),
                UseProxy = false,
                UseCookies = false,
                Credentials = null,
                PreAuthenticate = false,
                AllowAutoRedirect = client.FollowRedirects,
                MaxAutomaticRedirections = 5,
                AutomaticDecompression = DecompressionMethods.All,
                PooledConnectionLifetime = TimeSpan.FromMinutes(1),
            })
            .ConfigureAdditionalHttpMessageHandlers((handlers, _) => handlers.Clear());
    }
}
