using Microsoft.Extensions.Diagnostics.HealthChecks;
using MongoDB.Driver;
using Spokes.Api.Encryption;
using Spokes.Api.Storage.Mongo;
using Spokes.Api.Storage.Sqlite;
using Spokes.ServiceDefaults;

namespace Spokes.Api.Storage;

public static class StorageExtensions
{
    /// <summary>
    /// The chat database from the <c>mongo</c> resource: MongoDB for a <c>mongodb://</c> connection string,
    /// SQLite for <c>Data Source=…</c> (the local profile). Schemas and indexes are brought up to date before
    /// the Api takes requests.
    /// </summary>
    public static IHostApplicationBuilder AddChatStorage(this IHostApplicationBuilder builder)
    {
        var connectionString = ConnectionStrings.GetRequired(builder.Configuration, "mongo");
        if (connectionString.StartsWith("mongodb://", StringComparison.Ordinal) || connectionString.StartsWith("mongodb+srv://", StringComparison.Ordinal))
        {
            builder.AddMongoClient("mongo");
            builder.Services.AddSingleton(sp => new MongoSchema(sp.GetRequiredService<IMongoDatabase>()));
            builder.Services.AddSingleton<IAccountStore, MongoAccountStore>();
            builder.Services.AddSingleton<ISessionStore, MongoSessionStore>();
            builder.Services.AddSingleton<IUserStore, MongoUserStore>();
            builder.Services.AddSingleton<IServerStore, MongoServerStore>();
            builder.Services.AddSingleton<MongoChannelStore>();
            builder.Services.AddSingleton<IMemberStore, MongoMemberStore>();
            builder.Services.AddSingleton<IBanStore, MongoBanStore>();
            builder.Services.AddSingleton<IInviteStore, MongoInviteStore>();
            builder.Services.AddSingleton<IMfaTicketStore, MongoMfaTicketStore>();
            builder.Services.AddSingleton<ISignupInviteStore, MongoSignupInviteStore>();
            builder.Services.AddSingleton<IExternalIdentityStore, MongoExternalIdentityStore>();
            builder.Services.AddSingleton<IUnreadStore, MongoUnreadStore>();
            builder.Services.AddSingleton<MongoMessageStore>();
            builder.Services.AddSingleton<IKeyringStore, MongoKeyringStore>();
            builder.Services.AddSingleton<IPlaintextContentStore, MongoPlaintextContentStore>();
            builder.AddEncryptionAtRest<MongoMessageStore, MongoMessageStore, MongoChannelStore>();
            builder.Services.AddSingleton<ISettingsStore, MongoSettingsStore>();
            builder.Services.AddSingleton<IBotStore, MongoBotStore>();
            builder.Services.AddSingleton<IWebhookStore, MongoWebhookStore>();
            builder.Services.AddSingleton<IEmojiStore, MongoEmojiStore>();
            builder.Services.AddSingleton<IReportStore, MongoReportStore>();
            builder.Services.AddHostedService(sp => new StorageInitializer(ct => sp.GetRequiredService<MongoSchema>().EnsureIndexesAsync(ct)));
        }
        else
        {
            var database = new SqliteDatabase(connectionString);
            builder.Services.AddSingleton(database);
            builder.Services.AddSingleton<IAccountStore, SqliteAccountStore>();
            builder.Services.AddSingleton<ISessionStore, SqliteSessionStore>();
            builder.Services.AddSingleton<IUserStore, SqliteUserStore>();
            builder.Services.AddSingleton<IServerStore, SqliteServerStore>();
            builder.Services.AddSingleton<SqliteChannelStore>();
            builder.Services.AddSingleton<IMemberStore, SqliteMemberStore>();
            builder.Services.AddSingleton<IBanStore, SqliteBanStore>();
            builder.Services.AddSingleton<IInviteStore, SqliteInviteStore>();
            builder.Services.AddSingleton<IMfaTicketStore, SqliteMfaTicketStore>();
            builder.Services.AddSingleton<ISignupInviteStore, SqliteSignupInviteStore>();
            builder.Services.AddSingleton<IExternalIdentityStore, SqliteExternalIdentityStore>();
            builder.Services.AddSingleton<IUnreadStore, SqliteUnreadStore>();
            builder.Services.AddSingleton<SqliteMessageStore>();
            builder.Services.AddSingleton<SqliteOutboxStore>();
            builder.Services.AddSingleton<IKeyringStore, SqliteKeyringStore>();
            builder.Services.AddSingleton<IPlaintextContentStore, SqlitePlaintextContentStore>();
            builder.AddEncryptionAtRest<SqliteMessageStore, SqliteOutboxStore, SqliteChannelStore>();
            builder.Services.AddSingleton<ISettingsStore, SqliteSettingsStore>();
            builder.Services.AddSingleton<IBotStore, SqliteBotStore>();
            builder.Services.AddSingleton<IWebhookStore, SqliteWebhookStore>();
            builder.Services.AddSingleton<IEmojiStore, SqliteEmojiStore>();
            builder.Services.AddSingleton<IReportStore, SqliteReportStore>();
            builder.Services.AddHostedService(_ => new StorageInitializer(database.MigrateAsync));
            builder.Services.AddSingleton<SqliteSearchIndex>();
            builder.Services.AddHostedService<SqliteSearchIndexer>();
            builder.Services.AddHealthChecks().AddAsyncCheck("mongo", async ct =>
            {
                await using var connection = await database.OpenAsync(ct);
                return HealthCheckResult.Healthy("SQLite");
            }, [ServiceDefaultsExtensions.ReadyTag]);
        }
        return builder;
    }

    private sealed class StorageInitializer(Func<CancellationToken, Task> initialize) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => initialize(cancellationToken);

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
