using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using MongoDB.Bson;
using MongoDB.Driver;
using Spokes.ServiceDefaults;

namespace Microsoft.Extensions.Hosting;

public static class MongoClientExtensions
{
    /// <summary>
    /// Registers an <see cref="IMongoClient"/> and the <see cref="IMongoDatabase"/> named in the URL of the
    /// resource <paramref name="resourceName"/> (<c>mongodb://host:port/database?replicaSet=rs0</c>), with a
    /// readiness check that runs <c>ping</c>.
    /// </summary>
    public static IHostApplicationBuilder AddMongoClient(this IHostApplicationBuilder builder, string resourceName)
    {
        var url = MongoUrl.Create(ConnectionStrings.GetRequired(builder.Configuration, resourceName));
        var databaseName = url.DatabaseName ?? throw new InvalidOperationException(
            $"Connection string '{resourceName}' names no database: use mongodb://host:port/<database>.");

        builder.Services.AddSingleton<IMongoClient>(_ => new MongoClient(url));
        builder.Services.AddSingleton(sp => sp.GetRequiredService<IMongoClient>().GetDatabase(databaseName));
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            resourceName,
            sp => new MongoHealthCheck(sp.GetRequiredService<IMongoDatabase>()),
            HealthStatus.Unhealthy,
            [ServiceDefaultsExtensions.ReadyTag, resourceName],
            TimeSpan.FromSeconds(5)));
        return builder;
    }
}

internal sealed class MongoHealthCheck(IMongoDatabase database) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await database.RunCommandAsync<BsonDocument>(new BsonDocument("ping", 1), cancellationToken: cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception e) when (e is MongoException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy("MongoDB did not answer ping", e);
        }
    }
}
