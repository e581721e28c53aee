using Microsoft.Extensions.Options;
using Spokes.Contracts.Internal;
using Spokes.Contracts.Push.V1;
using Spokes.Egress;
using Spokes.Pushd.Delivery;
using Spokes.Pushd.Notifications;

namespace Spokes.Pushd;

internal static class Extensions
{
    public static IHostApplicationBuilder AddPushdServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<PushdOptions>().BindConfiguration(PushdOptions.SectionName);
        var options = builder.Configuration.GetSection(PushdOptions.SectionName).Get<PushdOptions>() ?? new PushdOptions();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddMemoryCache();
        builder.AddRedisClient("redis", configureOptions: RedisClientDefaults.Apply);
        builder.Services.AddMetrics();
        builder.Services.AddSingleton<PushMetrics>();
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddMeter(PushMetrics.MeterName));

        // Recipients, subscriptions and names come from the Api's gRPC endpoint, with the suite's internal key.
        builder.AddInternalGrpcClient<PushTargets.PushTargetsClient>("api");

        builder.Services.AddSingleton<NotificationRenderer>();
        builder.Services.AddSingleton<IDeliveryLedger, RedisDeliveryLedger>();
        builder.Services.AddSingleton(new RetryPolicy());
        builder.Services.AddScoped<PushDispatcher>();
        builder.Services.AddScoped<ISubscriptionRemover, BusSubscriptionRemover>();
        builder.Services.AddScoped<MessageNotifier>();
        builder.Services.AddScoped<CallRinger>();

        if (options.VapidPrivateKey.Length > 0)
        {
            builder.Services.AddSingleton(sp => new VapidSigner(options.VapidPublicKey, options.VapidPrivateKey, options.VapidSubject,
                sp.GetRequiredService<TimeProvider>()));
            // Push endpoints are URLs users gave: the egress rules decide where they may lead, and a redirect is a failure.
            builder.Services.AddEgressHttpClient(WebPushSender.HttpClientName, client => client.FollowRedirects = false);
            builder.Services.AddSingleton<IPushSender, WebPushSender>();
        }
        if (options.Fcm.Enabled)
        {
            builder.Services.AddHttpClient(FcmSender.HttpClientName, c => c.Timeout = TimeSpan.FromSeconds(15));
            builder.Services.AddSingleton<IPushSender, FcmSender>();
        }
        if (options.Apns.Enabled)
        {
            builder.Services.AddHttpClient(ApnsSender.HttpClientName, c => c.Timeout = TimeSpan.FromSeconds(15));
            builder.Services.AddSingleton<IPushSender, ApnsSender>();
        }
        return builder;
    }
}
