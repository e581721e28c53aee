using Microsoft.Extensions.Diagnostics.HealthChecks;
using MongoDB.Bson;
using MongoDB.Driver;
using Spokes.AppHost.Local;

namespace Spokes.AppHost.Containers;

/// <summary>
/// MongoDB as a one-member replica set (the Api's change streams and transactions need one), written with
/// Aspire's container API since no MongoDB hosting package is served here. Deployed, the Kubernetes YAML runs
/// three members.
/// </summary>
public sealed class MongoReplicaSetResource(string name, string database, bool publishing) : ContainerResource(name), IResourceWithConnectionString
{
    public const string ReplicaSet = "rs0";
    public const int Port = 27017;

    public string Database { get; } = database;

    public EndpointReference Endpoint => new(this, "tcp");

    /// <summary>Running, the driver talks to the one member through its published port; deployed, it discovers the members.</summary>
    public ReferenceExpression ConnectionStringExpression => publishing
        ? ReferenceExpression.Create($"mongodb://{Endpoint.Property(EndpointProperty.HostAndPort)}/{Database}?replicaSet={ReplicaSet}")
        : ReferenceExpression.Create($"mongodb://{Endpoint.Property(EndpointProperty.HostAndPort)}/{Database}?directConnection=true");
}

public static class MongoReplicaSet
{
    public static IResourceBuilder<MongoReplicaSetResource> AddMongoReplicaSet(this IDistributedApplicationBuilder builder, string name,
        string database, string? dataFolder)
    {
        var mongo = new MongoReplicaSetResource(name, database, builder.ExecutionContext.IsPublishMode);
        var resource = builder.AddResource(mongo)
            .WithImage("library/mongo", "8.0")
            .WithImageRegistry("docker.io")
            .WithEndpoint(name: "tcp", scheme: "tcp", targetPort: MongoReplicaSetResource.Port)
            .WithArgs("--replSet", MongoReplicaSetResource.ReplicaSet, "--bind_ip_all")
            .WithProbe(cancellationToken => ReadyAsync(mongo, cancellationToken))
            .WithIconName("Database");
        return dataFolder is null ? resource.WithVolume("data", "/data/db") : resource.WithBindMount(dataFolder, "/data/db");
    }

    /// <summary>
    /// Ready once the member is PRIMARY. A new data folder holds no replica set yet: the check initiates it (with the
    /// member's own address inside its container); a folder that already holds one keeps it.
    /// </summary>
    private static async Task<HealthCheckResult> ReadyAsync(MongoReplicaSetResource mongo, CancellationToken cancellationToken)
    {
        var settings = MongoClientSettings.FromConnectionString($"mongodb://127.0.0.1:{mongo.Endpoint.Port}/?directConnection=true");
        settings.ServerSelectionTimeout = TimeSpan.FromSeconds(3);
        using var client = new MongoClient(settings);
        var admin = client.GetDatabase("admin");
        try
        {
            var status = await admin.RunCommandAsync<BsonDocument>(new BsonDocument("replSetGetStatus", 1), cancellationToken: cancellationToken);
            return status.GetValue("myState", 0).ToInt32() == 1
                ? HealthCheckResult.Healthy($"replica set {MongoReplicaSetResource.ReplicaSet}, primary")
                : HealthCheckResult.Unhealthy($"replica set {MongoReplicaSetResource.ReplicaSet}: member state {status.GetValue("myState", 0)}");
        }
        catch (MongoCommandException e) when (e.CodeName == "NotYetInitialized")
        {
            await admin.RunCommandAsync<BsonDocument>(new BsonDocument("replSetInitiate", new BsonDocument
            {
                ["_id"] = MongoReplicaSetResource.ReplicaSet,
                ["members"] = new BsonArray { new BsonDocument { ["_id"] = 0, ["host"] = $"127.0.0.1:{MongoReplicaSetResource.Port}" } },
            }), cancellationToken: cancellationToken);
            return HealthCheckResult.Unhealthy($"replica set {MongoReplicaSetResource.ReplicaSet} initiated; waiting for a primary");
        }
        catch (Exception e) when (e is MongoException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy($"MongoDB does not answer: {e.Message}");
        }
    }
}
