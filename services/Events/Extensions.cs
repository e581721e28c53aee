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
        builder.AddInternalGrpcClient<Sessions.SessionsClient>("api");
        builder.AddInternalGrpcClient<Contracts.Connections.V1.Connections.ConnectionsClient>("api");

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
}
