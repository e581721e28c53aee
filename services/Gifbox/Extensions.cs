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
        var key = builder.Configuration[InternalCalls.KeySetting] is { Length: > 0 } internalKey
            ? internalKey
            : throw new InvalidOperationException("Gifbox needs the suite's internal key for its calls to the Api: set Internal__Key (the AppHost injects it).");
        var api = Uri.TryCreate(builder.Configuration["services:api:grpc:0"], UriKind.Absolute, out var address)
            ? address
            : throw new InvalidOperationException("Gifbox needs the Api's gRPC endpoint: set services__api__grpc__0 (the AppHost injects it).");
        builder.Services.AddGrpcClient<Sessions.SessionsClient>(o => o.Address = api)
            .AddHttpMessageHandler(() => new InternalKeyHandler(key));
        return builder;
    }
}
