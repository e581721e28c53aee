using Microsoft.Extensions.Options;
using Spokes.Api.Storage;

namespace Spokes.Api.Caching;

public static class CachingExtensions
{
    /// <summary>
    /// Holds sessions, users, servers, channels and members in process, as decorators of the stores already
    /// registered (after <see cref="StorageExtensions.AddChatStorage"/>): the rest of the Api reads and writes as before.
    /// </summary>
    public static IHostApplicationBuilder AddRecordCaches(this IHostApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(RecordCacheOptions.SectionName).Get<RecordCacheOptions>() ?? new RecordCacheOptions();
        if (!options.Enabled) return builder;
        builder.Services.AddSingleton(sp => new RecordCache(options, sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton<CacheInvalidation>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<CacheInvalidation>());
        Decorate<ISessionStore>(builder.Services, (sp, inner) => new CachingSessionStore(inner, sp.GetRequiredService<RecordCache>(), sp.GetRequiredService<CacheInvalidation>()));
        Decorate<IUserStore>(builder.Services, (sp, inner) => new CachingUserStore(inner, sp.GetRequiredService<RecordCache>(), sp.GetRequiredService<CacheInvalidation>()));
        Decorate<IServerStore>(builder.Services, (sp, inner) => new CachingServerStore(inner, sp.GetRequiredService<RecordCache>(), sp.GetRequiredService<CacheInvalidation>()));
        Decorate<IChannelStore>(builder.Services, (sp, inner) => new CachingChannelStore(inner, sp.GetRequiredService<RecordCache>(), sp.GetRequiredService<CacheInvalidation>()));
        Decorate<IMemberStore>(builder.Services, (sp, inner) => new CachingMemberStore(inner, sp.GetRequiredService<RecordCache>(), sp.GetRequiredService<CacheInvalidation>()));
        Decorate<IMessageStore>(builder.Services, (sp, inner) => new CachingMessageStore(inner, sp.GetRequiredService<RecordCache>()));
        return builder;
    }

    /// <summary>Replaces the last registration of <typeparamref name="TStore"/> (a singleton) with <paramref name="decorate"/> around it.</summary>
    private static void Decorate<TStore>(IServiceCollection services, Func<IServiceProvider, TStore, TStore> decorate) where TStore : class
    {
        var index = services.Select((descriptor, at) => (descriptor, at)).Last(d => d.descriptor.ServiceType == typeof(TStore) && !d.descriptor.IsKeyedService).at;
        var original = services[index];
        services[index] = ServiceDescriptor.Singleton<TStore>(sp => decorate(sp, (TStore)(original.ImplementationInstance
            ?? original.ImplementationFactory?.Invoke(sp)
            ?? ActivatorUtilities.CreateInstance(sp, original.ImplementationType!))));
    }
}
