using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Spokes.Contracts.Voice;

namespace Spokes.Api.Voice;

public static class VoiceExtensions
{
    /// <summary>Voice: the nodes, LiveKit's RoomService, calls and their upkeep, and each node's health.</summary>
    public static IHostApplicationBuilder AddVoice(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<VoiceNodeRegistry>();
        builder.Services.AddSingleton<VoiceStates>();
        builder.Services.AddSingleton<RoomServiceClient>();
        // A node that is down fails a call at once: none of the suite's default retries (which held join_call and the
        // health report for half a minute and more), a connection given up on after a few seconds, and no request
        // waiting longer than Stoat's LiveKit client does.
        builder.Services.AddHttpClient(RoomServiceClient.HttpClientName, client => client.Timeout = RoomServiceClient.RequestTimeout)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { ConnectTimeout = RoomServiceClient.ConnectTimeout })
            .ConfigureAdditionalHttpMessageHandlers((handlers, _) => handlers.Clear());
        builder.Services.AddScoped<CallService>();
        builder.Services.AddScoped<CallPermissions>();
        builder.Services.AddSingleton<CallWatch>();
        builder.Services.AddHostedService(services => services.GetRequiredService<CallWatch>());
        builder.Services.AddSingleton<IConfigureOptions<HealthCheckServiceOptions>, NodeHealthChecks>();
        return builder;
    }

    /// <summary>
    /// One check per node: its RoomService answers a signed call. A node that does not is Degraded, not
    /// Unhealthy: chat goes on without voice, and the dashboard shows which node is down.
    /// </summary>
    private sealed class NodeHealthChecks(VoiceNodeRegistry nodes, RoomServiceClient rooms) : IConfigureOptions<HealthCheckServiceOptions>
    {
        public void Configure(HealthCheckServiceOptions options)
        {
            foreach (var node in nodes.All)
            {
                // Bounded: a node that does not answer must not hold up the Api's health report (the suite's start waits on it).
                options.Registrations.Add(new HealthCheckRegistration($"livekit-{node.Name}", _ => new NodeHealth(node, rooms), HealthStatus.Degraded,
                    ["livekit"], timeout: TimeSpan.FromSeconds(3)));
            }
        }
    }

    private sealed class NodeHealth(LiveKitNode node, RoomServiceClient rooms) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                await rooms.ListRoomsAsync(node, cancellationToken);
                return HealthCheckResult.Healthy($"LiveKit node '{node.Name}' answers at {node.Url}");
            }
            catch (Exception e) when (e is LiveKitException or HttpRequestException or TaskCanceledException)
            {
                return new HealthCheckResult(context.Registration.FailureStatus, $"LiveKit node '{node.Name}' does not answer at {node.Url}", e);
            }
        }
    }
}
