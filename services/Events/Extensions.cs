using Microsoft.Extensions.Options;
using Spokes.Contracts.Connections.V1;
using Spokes.Contracts.Internal;
using Spokes.Contracts.Sessions.V1;
using Spokes.Events.Connections;
using Spokes.Events.Fanout;
using Spokes.Events.Presence;

namespace Spokes.Events;

internal static class Extensions
{
    public static IHostApplicationBuilder AddEventsServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<EventsOptions>().BindConfiguration(EventsOptions.SectionName);
        builder.Services.AddSingleton(sp => sp.GetRequiredService<IOptions<EventsOptions>>().Value);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.AddRedisClient("redis", configureOptions: RedisClientDefaults.Apply);

        // Session auth, Ready and server views come from the Api's gRPC endpoint (cleartext HTTP/2), with the suite's internal key.
        var api = ApiAddress(builder.Configuration);
        var key = InternalKey(builder.Configuration);
        builder.Services.AddGrpcClient<Sessions.SessionsClient>(o => o.Address = api)
            .AddHttpMessageHandler(() => new InternalKeyHandler(key));
        builder.Services.AddGrpcClient<Contracts.Connections.V1.Connections.ConnectionsClient>(o => o.Address = api)
            .AddHttpMessageHandler(() => new InternalKeyHandler(key));

        builder.Services.AddSingleton<TopicHub>();
        builder.Services.AddSingleton<RedisEvents>();
        builder.Services.AddSingleton<ServerViews>();
        builder.Services.AddSingleton<EventRouter>();
        builder.Services.AddSingleton<PresenceTracker>();
        builder.Services.AddSingleton<PresenceAnnouncer>();
        builder.Services.AddSingleton<ConnectionHandler>();
        builder.Services.AddHostedService<RedisFirehose>();
        builder.Services.AddHostedService<NodeHousekeeping>();
        return builder;
    }

    private static string InternalKey(IConfiguration configuration) =>
        configuration[InternalCalls.KeySetting] is { Length: > 0 } key
            ? key
            : throw new InvalidOperationException("The Events service needs the suite's internal key for its calls to the Api: set Internal__Key (the AppHost injects it).");

    /// <summary>The Api's gRPC endpoint, as the AppHost injects it (<c>services__api__grpc__0</c>).</summary>
    private static Uri ApiAddress(IConfiguration configuration)
    {
        var value = configuration["services:api:grpc:0"];
        if (!Uri.TryCreate(value, UriKind.Absolute, out var address))
        {
            throw new InvalidOperationException(
                "The Events service needs the Api's gRPC endpoint: set services__api__grpc__0 (the AppHost injects it), e.g. http://127.0.0.1:5001.");
        }
        return address;
    }
}
