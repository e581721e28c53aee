using Spokes.Api.Caching;
using Spokes.Api.Encryption;
using Spokes.Api.Identity;
using Spokes.Api.Storage;
using Spokes.Api.Configuration;
using Spokes.Api.Files;

namespace Spokes.Api;

internal static class Extensions
{
    public static IHostApplicationBuilder AddApiServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ApiOptions>()
            .BindConfiguration(ApiOptions.SectionName)
            .ValidateOnStart();
        builder.Services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<ApiOptions>, ApiOptionsValidator>();
        builder.Services.AddSingleton<RootConfigurationFactory>();
        Voice.VoiceExtensions.AddVoice(builder);
        builder.Services.AddOptions<RateLimits.RateLimitOptions>().BindConfiguration(RateLimits.RateLimitOptions.SectionName);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddScoped<AccountService>();
        builder.Services.AddScoped<SessionRevocation>();
        builder.Services.AddScoped<Connections.ConnectionViews>();
        builder.Services.AddGrpc(grpc => grpc.Interceptors.Add<Contracts.Internal.InternalCallAuthentication>());
        builder.Services.AddScoped<MfaService>();
        builder.Services.AddSingleton<IPasswordHasher, PasswordHasher>();
        builder.Services.AddSingleton<LoginLockout>();
        builder.Services.AddSingleton<SecondFactorLimits>();
        builder.Services.AddScoped<EmailVerificationService>();
        builder.Services.AddScoped<AccountClosureService>();
        builder.Services.AddSingleton<AccountMailer>();
        builder.Services.AddSingleton<CaptchaVerifier>();
        builder.Services.AddHttpClient(CaptchaVerifier.HttpClientName, client => client.Timeout = TimeSpan.FromSeconds(10));
        builder.Services.AddScoped<Users.RelationshipService>();
        builder.Services.AddScoped<Push.FriendRequestNotifier>();
        builder.Services.AddScoped<Users.ProfileService>();
        builder.Services.AddScoped<Community.CommunityAccess>();
        builder.Services.AddScoped<Community.ServerService>();
        builder.Services.AddScoped<Community.MemberService>();
        builder.Services.AddScoped<Community.RoleService>();
        builder.Services.AddScoped<Community.ChannelService>();
        builder.Services.AddScoped<Community.InviteService>();
        builder.Services.AddSingleton<Events.EventPublisher>();
        builder.Services.AddScoped<Events.UserUpdatePublisher>();
        builder.Services.AddSingleton<Users.PresenceReader>();
        builder.Services.AddScoped<Messaging.MessagePoster>();
        builder.Services.AddScoped<Messaging.MessageService>();
        builder.Services.AddScoped<Messaging.SyncService>();
        builder.Services.AddScoped<Bots.BotService>();
        builder.Services.AddScoped<Messaging.WebhookService>();
        builder.Services.AddScoped<Messaging.SafetyService>();
        builder.Services.AddScoped<Community.EmojiService>();
        builder.Services.AddSingleton<Messaging.OutboxSignal>();
        builder.AddChatStorage();
        builder.AddRecordCaches();
        // Right after the schema: the content stores open nothing until the master password has opened their keys.
        builder.AddMasterPassword();
        builder.AddFileClaims();
        builder.Services.AddOptions<Setup.SetupOptions>().BindConfiguration(Setup.SetupOptions.SectionName);
        builder.Services.AddSingleton<Setup.SetupState>();
        builder.Services.AddSingleton<Setup.SetupPublicUrl>();
        builder.Services.AddSingleton<Microsoft.Extensions.Options.IPostConfigureOptions<ApiOptions>>(sp => sp.GetRequiredService<Setup.SetupPublicUrl>());
        builder.Services.AddSingleton<Microsoft.Extensions.Options.IOptionsChangeTokenSource<ApiOptions>>(sp => sp.GetRequiredService<Setup.SetupPublicUrl>());
        builder.Services.AddScoped<Setup.Branding>();
        builder.Services.AddHostedService<Setup.BrandingMigration>();
        builder.Services.AddSingleton<Setup.DemoMode>();
        builder.Services.AddSingleton<Setup.SetupAccounts>();
        // After the storage is brought up to date: the setup file makes the administrators' accounts.
        builder.Services.AddSingleton<Setup.SetupFile>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<Setup.SetupFile>());
        builder.Services.AddSingleton<Oidc.OidcClient>();
        builder.Services.AddScoped<Oidc.OidcLogin>();
        builder.Services.AddHttpClient(Oidc.OidcClient.HttpClientName, client => client.Timeout = TimeSpan.FromSeconds(10));
        // After the storage, whose schema is brought up to date as the first hosted service.
        builder.Services.AddHostedService<EmailKeyUpgrade>();
        builder.Services.AddHostedService<Messaging.OutboxRelay>();

        // Stoat's wire format is snake_case throughout, without null fields.
        builder.Services.ConfigureHttpJsonOptions(options => StoatJson.Configure(options.SerializerOptions));

        builder.AddRedisClient("redis", configureOptions: RedisClientDefaults.Apply);
        builder.AddMessageBus("rabbitmq", bus =>
        {
            bus.AddConsumer<DeleteDueAccountsConsumer>();
            bus.AddConsumer<Voice.CallMessages>();
            bus.AddConsumer<Messaging.AppendMessageEmbedsConsumer>();
            bus.AddConsumer<Push.RemovePushSubscriptionConsumer>();
            bus.AddConsumer<Push.PruneExpiredMfaTicketsConsumer>();
        });
        return builder;
    }
}
