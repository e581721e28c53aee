using Spokes.AppHost.Containers;
using Spokes.AppHost.Local;

namespace Spokes.AppHost.Suite;

/// <summary>
/// The backing servers in the profile's shape: containers in the containers profile and in every publish;
/// programs on this machine, a SQLite file and a folder, all under the data folder, in the local profile. Either
/// way a service gets the same connection string, so it never knows which profile runs it.
/// </summary>
public static class Infrastructure
{
    public static IResourceBuilder<IResourceWithConnectionString> AddRedis(this SpokesSuite suite, string name)
    {
        var password = suite.AddSecret($"{name}-password");
        if (suite.Profile == Profile.Local)
        {
            return suite.Builder.AddLocalRedis(name, suite.ResourceFolder(name), password, suite.ParameterValue(password));
        }
        var redis = suite.Builder.AddRedis(name, password: password).WithPersistence(TimeSpan.FromSeconds(1));
        return suite.IsPublishing ? redis.WithDataVolume() : redis.WithDataBindMount(suite.ResourceFolder(name));
    }

    public static IResourceBuilder<IResourceWithConnectionString> AddRabbitMQ(this SpokesSuite suite, string name)
    {
        var password = suite.AddSecret($"{name}-password");
        if (suite.Profile == Profile.Local)
        {
            return suite.Builder.AddLocalRabbitMQ(name, suite.ResourceFolder(name), password, suite.ParameterValue(password));
        }
        var user = suite.Builder.AddParameter($"{name}-user", LocalRabbitMQ.User, publishValueAsDefault: true);
        var rabbitmq = suite.Builder.AddRabbitMQ(name, user, password);
        return suite.IsPublishing ? rabbitmq.WithDataVolume() : rabbitmq.WithDataBindMount(suite.ResourceFolder(name));
    }

    /// <summary>The chat database: MongoDB (a replica set) or a SQLite file.</summary>
    public static IResourceBuilder<IResourceWithConnectionString> AddChatDatabase(this SpokesSuite suite, string name, string database = "spokes") =>
        suite.Profile == Profile.Local
            ? suite.Builder.AddSqliteDatabase(name, suite.ResourceFolder("sqlite"), database)
            : suite.Builder.AddMongoReplicaSet(name, database, suite.IsPublishing ? null : suite.ResourceFolder(name));

    /// <summary>File objects: MinIO (any S3 API when deployed) or a folder.</summary>
    public static IResourceBuilder<IResourceWithConnectionString> AddFileStorage(this SpokesSuite suite, string name) =>
        suite.Profile == Profile.Local
            ? suite.Builder.AddFileFolder(name, suite.ResourceFolder("files"))
            : suite.Builder.AddMinio(name, suite.AddSecret($"{name}-secret-key"), suite.IsPublishing ? null : suite.ResourceFolder(name));

    /// <summary>Autumn's file records: a SQLite file of its own, or the chat database (Autumn keeps its own collections there).</summary>
    public static IResourceBuilder<IResourceWithConnectionString> AddFileRecords(this SpokesSuite suite, string name,
        IResourceBuilder<IResourceWithConnectionString> chatDatabase) =>
        suite.Profile == Profile.Local ? suite.Builder.AddSqliteDatabase(name, suite.ResourceFolder("sqlite"), "autumn") : chatDatabase;

    /// <summary>Voice: a LiveKit container, or in the local profile the LiveKit server the operator configured; null when voice is off.</summary>
    public static LiveKit? AddLiveKit(this SpokesSuite suite, string name) =>
        suite.Profile == Profile.Local
            ? suite.Builder.AddExternalLiveKit(name)
            : suite.Builder.AddLiveKitContainer(name, suite.AddSecret($"{name}-api-secret"), suite.VoicePorts, suite.VoiceTcpPort);
}
