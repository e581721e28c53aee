using Spokes.Api.Storage;

namespace Spokes.Api.Encryption;

public static class EncryptionExtensions
{
    /// <summary>The stores of message content (messages, their outbox, channels) as the Api sees them: sealed in the provider, open here.</summary>
    public static void AddEncryptionAtRest<TMessages, TOutbox, TChannels>(this IHostApplicationBuilder builder)
        where TMessages : class, IMessageStore where TOutbox : class, IOutboxStore where TChannels : class, IChannelStore
    {
        builder.Services.AddSingleton<ContentKeys>();
        builder.Services.AddSingleton(sp => new PlaintextMigration(sp.GetRequiredService<IPlaintextContentStore>(), sp.GetRequiredService<TMessages>(),
            sp.GetRequiredService<TChannels>(), sp.GetRequiredService<IKeyringStore>(), sp.GetRequiredService<ContentKeys>(), sp.GetRequiredService<ILogger<PlaintextMigration>>()));
        builder.Services.AddSingleton<IMessageStore>(sp => new EncryptedMessageStore(sp.GetRequiredService<TMessages>(), sp.GetRequiredService<ContentKeys>()));
        builder.Services.AddSingleton<IOutboxStore>(sp => new EncryptedOutboxStore(sp.GetRequiredService<TOutbox>(), sp.GetRequiredService<ContentKeys>()));
        builder.Services.AddSingleton<IChannelStore>(sp => new EncryptedChannelStore(sp.GetRequiredService<TChannels>(), sp.GetRequiredService<ContentKeys>()));
    }

    /// <summary>
    /// Opens the content keys with <c>Api:MasterPassword</c> once the schema is up to date, before the Api takes a
    /// request: a wrong password ends the start. A database from before encryption at rest is sealed then.
    /// </summary>
    public static void AddMasterPassword(this IHostApplicationBuilder builder) => builder.Services.AddHostedService<MasterKeyOpener>();

    private sealed class MasterKeyOpener(ContentKeys keys, PlaintextMigration migration, IConfiguration configuration, ILogger<MasterKeyOpener> logger) : IHostedService
    {
        public async Task StartAsync(CancellationToken cancellationToken)
        {
            try
            {
                await keys.OpenAsync(configuration["Api:MasterPassword"] ?? "", cancellationToken);
                await migration.RunAsync(cancellationToken);
            }
            catch (MasterPasswordException e)
            {
                logger.LogCritical("{Problem}", e.Message);
                throw;
            }
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
