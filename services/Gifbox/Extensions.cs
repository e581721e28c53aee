using Spokes.Contracts.Internal;
using Spokes.Contracts.Sessions.V1;
using Spokes.Egress;
using Spokes.Gifbox.Gifs;

namespace Spokes.Gifbox;

public static class GifboxExtensions
{
    public static IHostApplicationBuilder AddGifboxServices(this IHostApplicationBuilder builder)
    {
        builder.Services.Configure<GifboxOptions>(builder.Configuration.GetSection(GifboxOptions.SectionName));
        builder.Services.ConfigureHttpJsonOptions(options => options.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower);
        builder.AddRedisClient("redis", configureOptions: RedisClientDefaults.Apply);
        builder.Services.AddEgressHttpClient(TenorCompatibleProvider.ClientName);
        builder.Services.AddSingleton<IGifProvider, TenorCompatibleProvider>();
        builder.Services.AddSingleton<GifService>();

        // Tokens are checked by the Api's gRPC endpoint (cleartext HTTP/2), with the suite's internal key.
        builder.AddInternalGrpcClient<Sessions.SessionsClient>("api");
        return builder;
    }
}
