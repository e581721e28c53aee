using Grpc.AspNetCore.Server;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Minio;
using MongoDB.Driver;
using Spokes.Autumn.Api;
using Spokes.Autumn.Cleanup;
using Spokes.Autumn.Files;
using Spokes.Autumn.Grpc;
using Spokes.Autumn.Objects;
using Spokes.Autumn.Records;
using Spokes.Contracts.Internal;
using Spokes.Contracts.Sessions.V1;
using Spokes.ServiceDefaults;

namespace Spokes.Autumn;

internal static class Extensions
{
    public static IHostApplicationBuilder AddAutumnServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<AutumnOptions>().BindConfiguration(AutumnOptions.SectionName);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(sp => new FileEncryption(sp.GetRequiredService<IOptions<AutumnOptions>>().Value.EncryptionKey));
        builder.Services.AddSingleton<KeyedLocks>();
        builder.Services.Configure<RouteOptions>(routes => routes.ConstraintMap[FileTagRouteConstraint.Name] = typeof(FileTagRouteConstraint));
        builder.Services.AddSingleton<UploadPipeline>();
        builder.Services.AddSingleton<FileReader>();
        builder.Services.AddSingleton<FileCleanup>();
        builder.AddObjectStore();
        builder.AddFileRecords();

        // Uploads are authenticated by the Api's gRPC Sessions service, with the suite's internal key.
        builder.AddInternalGrpcClient<Sessions.SessionsClient>("api");
        builder.Services.AddSingleton<ISessionAuthenticator, ApiSessionAuthenticator>();
        builder.Services.AddGrpc(grpc => grpc.Interceptors.Add<InternalCallAuthentication>());
        // Store carries a whole file: up to the largest one Autumn takes, past gRPC's default of 4 MB.
        builder.Services.AddOptions<GrpcServiceOptions<FilesService>>()
            .Configure<IOptions<AutumnOptions>>((grpc, autumn) => grpc.MaxReceiveMessageSize = FilesService.MaxStoreMessageSize(autumn.Value));

        builder.AddMessageBus("rabbitmq", bus =>
        {
            bus.AddConsumer<PruneDanglingFilesConsumer>();
            bus.AddConsumer<DeleteMarkedFilesConsumer>();
        });
        return builder;
    }

    /// <summary>
    /// Objects live in S3 (containers, cluster: <c>Endpoint=…;AccessKey=…;SecretKey=…</c>) or in a folder
    /// (local profile: <c>Folder=/path</c>), both given as the <c>s3</c> resource's connection string.
    /// </summary>
    private static void AddObjectStore(this IHostApplicationBuilder builder)
    {
        var connectionString = ConnectionStrings.GetRequired(builder.Configuration, "s3");
        if (ConnectionStrings.ParseKeyValues(connectionString).TryGetValue("Folder", out var folder))
        {
            var path = Path.GetFullPath(folder);
            builder.Services.AddSingleton<IObjectStore>(new FolderObjectStore(path));
            builder.Services.AddHealthChecks().AddCheck("s3", () => FileFolderHealth.Check(path), [ServiceDefaultsExtensions.ReadyTag]);
        }
        else
        {
            builder.AddS3Client("s3");
            builder.Services.AddSingleton<IObjectStore>(sp => new S3ObjectStore(sp.GetRequiredService<IMinioClient>(),
                sp.GetRequiredService<IOptions<AutumnOptions>>().Value.Bucket));
        }
    }

    /// <summary>
    /// File records in the <c>files-db</c> resource: MongoDB (Autumn's own collections) for a <c>mongodb://</c>
    /// connection string, a SQLite file of Autumn's own for <c>Data Source=…</c> (the local profile).
    /// </summary>
    private static void AddFileRecords(this IHostApplicationBuilder builder)
    {
        const string resource = "files-db";
        var connectionString = ConnectionStrings.GetRequired(builder.Configuration, resource);
        if (connectionString.StartsWith("mongodb://", StringComparison.Ordinal) || connectionString.StartsWith("mongodb+srv://", StringComparison.Ordinal))
        {
            builder.AddMongoClient(resource);
            builder.Services.AddSingleton(sp => new MongoFileRecordStore(sp.GetRequiredService<IMongoDatabase>()));
            builder.Services.AddSingleton<IFileRecordStore>(sp => sp.GetRequiredService<MongoFileRecordStore>());
            builder.Services.AddHostedService(sp => new RecordsInitializer(sp.GetRequiredService<MongoFileRecordStore>().EnsureIndexesAsync));
        }
        else
        {
            var store = new SqliteFileRecordStore(connectionString);
            builder.Services.AddSingleton<IFileRecordStore>(store);
            builder.Services.AddHostedService(_ => new RecordsInitializer(store.MigrateAsync));
        }
    }

    /// <summary>Autumn's gRPC (files.proto), on its own listener when the AppHost gives it one.</summary>
    public static WebApplication MapFilesGrpc(this WebApplication app)
    {
        var files = app.MapGrpcService<FilesService>();
        var url = app.Configuration["Kestrel:Endpoints:grpc:Url"];
        // Kestrel's wildcard hosts are not URI hosts.
        if (!string.IsNullOrEmpty(url) && Uri.TryCreate(url.Replace("://+", "://any").Replace("://*", "://any"), UriKind.Absolute, out var uri))
        {
            files.RequireHost($"*:{uri.Port}");
        }
        return app;
    }

    private sealed class RecordsInitializer(Func<CancellationToken, Task> initialize) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => initialize(cancellationToken);

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}

internal static class FileFolderHealth
{
    /// <summary>Healthy when the folder exists (created if needed) and a file can be written in it.</summary>
    public static HealthCheckResult Check(string folder)
    {
        try
        {
            Directory.CreateDirectory(folder);
            var probe = Path.Combine(folder, ".health-" + Environment.ProcessId);
            File.WriteAllText(probe, "");
            File.Delete(probe);
            return HealthCheckResult.Healthy();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return HealthCheckResult.Unhealthy($"File folder '{folder}' is not writable", e);
        }
    }
}
