using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Minio;
using Minio.DataModel.Args;
using MongoDB.Bson;
using MongoDB.Driver;
using Spokes.TestSupport;
using StackExchange.Redis;

namespace Spokes.ServiceDefaults.Tests;

internal static class HealthReports
{
    public static async Task<HealthReport> CheckAsync(IServiceProvider services, string tag) =>
        await services.GetRequiredService<HealthCheckService>().CheckHealthAsync(r => r.Tags.Contains(tag));

    /// <summary>Every check: Aspire's client integrations register theirs without tags.</summary>
    public static async Task<HealthReport> CheckAsync(IServiceProvider services) =>
        await services.GetRequiredService<HealthCheckService>().CheckHealthAsync();

    public static IHost Build(string resource, string connectionString, Action<HostApplicationBuilder> add)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration[$"ConnectionStrings:{resource}"] = connectionString;
        builder.AddDefaultHealthChecks();
        add(builder);
        return builder.Build();
    }
}

/// <summary>
/// Aspire's Redis client (<c>AddRedisClient</c>, as the services use it) with the connection string in the form the
/// AppHost gives, against a real redis-server; its health check is named <c>StackExchange.Redis</c>.
/// </summary>
public class RedisClientTests(RedisServer redis) : IClassFixture<RedisServer>
{
    [Fact]
    public async Task The_client_works_and_its_check_is_healthy_against_a_real_redis()
    {
        using var host = HealthReports.Build("redis", redis.ConnectionString, b => b.AddRedisClient("redis"));
        var database = host.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
        await database.StringSetAsync("spokes:test", "value");
        Assert.Equal("value", (string?)await database.StringGetAsync("spokes:test"));

        var report = await HealthReports.CheckAsync(host.Services);
        Assert.Equal(HealthStatus.Healthy, report.Status);
        Assert.Contains("StackExchange.Redis", report.Entries.Keys);
    }

    [Fact]
    public async Task The_check_is_unhealthy_when_nothing_listens()
    {
        using var host = HealthReports.Build("redis", $"127.0.0.1:{Ports.Free()},connectTimeout=500",
            b => b.AddRedisClient("redis"));
        var report = await HealthReports.CheckAsync(host.Services);
        Assert.Equal(HealthStatus.Unhealthy, report.Status);
    }

    [Fact]
    public async Task The_check_is_unhealthy_with_a_wrong_password()
    {
        var wrong = redis.ConnectionString[..redis.ConnectionString.IndexOf("password=", StringComparison.Ordinal)] + "password=wrong,connectTimeout=1000";
        using var host = HealthReports.Build("redis", wrong, b => b.AddRedisClient("redis"));
        var report = await HealthReports.CheckAsync(host.Services);
        Assert.Equal(HealthStatus.Unhealthy, report.Status);
    }
}

public record ServiceDefaultsProbe(Guid Id);

public class ProbeConsumer(TaskCompletionSource<Guid> received) : IConsumer<ServiceDefaultsProbe>
{
    public Task Consume(ConsumeContext<ServiceDefaultsProbe> context)
    {
        received.TrySetResult(context.Message.Id);
        return Task.CompletedTask;
    }
}

public class MessageBusTests(RabbitMqServer rabbitmq) : IClassFixture<RabbitMqServer>
{
    [Fact]
    public async Task A_published_message_reaches_its_consumer_through_a_real_broker_and_the_bus_is_ready()
    {
        var received = new TaskCompletionSource<Guid>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var host = HealthReports.Build("rabbitmq", rabbitmq.ConnectionString, b =>
        {
            b.Services.AddSingleton(received);
            b.AddMessageBus("rabbitmq", bus => bus.AddConsumer<ProbeConsumer>());
        });
        await host.StartAsync();
        try
        {
            await host.Services.GetRequiredService<IBusControl>().WaitForHealthStatus(BusHealthStatus.Healthy, TimeSpan.FromSeconds(30));
            var id = Guid.NewGuid();
            await host.Services.GetRequiredService<IPublishEndpoint>().Publish(new ServiceDefaultsProbe(id));
            Assert.Equal(id, await received.Task.WaitAsync(TimeSpan.FromSeconds(30)));

            var report = await HealthReports.CheckAsync(host.Services, "ready");
            Assert.Equal(HealthStatus.Healthy, report.Status);
            Assert.Contains(report.Entries.Keys, k => k.Contains("masstransit", StringComparison.OrdinalIgnoreCase));
        }
        finally
        {
            await host.StopAsync();
        }
    }
}

public class S3ClientTests(SwiftS3Server s3) : IClassFixture<SwiftS3Server>
{
    [Fact]
    public async Task The_client_stores_and_reads_objects_and_its_check_is_healthy_against_a_real_s3_api()
    {
        using var host = HealthReports.Build("s3", s3.ConnectionString, b => b.AddS3Client("s3"));
        var client = host.Services.GetRequiredService<IMinioClient>();
        var bucket = "spokes-" + Guid.NewGuid().ToString("N")[..8];
        await client.MakeBucketAsync(new MakeBucketArgs().WithBucket(bucket));
        var content = "hello from spokes"u8.ToArray();
        await client.PutObjectAsync(new PutObjectArgs().WithBucket(bucket).WithObject("greeting.txt")
            .WithStreamData(new MemoryStream(content)).WithObjectSize(content.Length).WithContentType("text/plain"));

        var read = new MemoryStream();
        await client.GetObjectAsync(new GetObjectArgs().WithBucket(bucket).WithObject("greeting.txt")
            .WithCallbackStream(stream => stream.CopyTo(read)));
        Assert.Equal(content, read.ToArray());

        var report = await HealthReports.CheckAsync(host.Services, "s3");
        Assert.Equal(HealthStatus.Healthy, report.Status);
    }

    [Fact]
    public async Task The_check_is_unhealthy_when_the_secret_is_wrong()
    {
        var wrong = s3.ConnectionString.Replace($"SecretKey={SwiftS3Server.SecretKey}", "SecretKey=not-the-secret");
        using var host = HealthReports.Build("s3", wrong, b => b.AddS3Client("s3"));
        var report = await HealthReports.CheckAsync(host.Services, "s3");
        Assert.Equal(HealthStatus.Unhealthy, report.Status);
    }
}

/// <summary>Runs only where a MongoDB server is given in SPOKES_TEST_MONGO; reported as skipped elsewhere.</summary>
public sealed class MongoFactAttribute : FactAttribute
{
    public MongoFactAttribute()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("SPOKES_TEST_MONGO")))
        {
            Skip = "SPOKES_TEST_MONGO is not set (no MongoDB server can be installed here): set it to mongodb://host:port/db to run.";
        }
    }
}

public class MongoClientTests
{
    [MongoFact]
    public async Task The_client_works_and_its_check_is_healthy_against_a_real_mongodb()
    {
        using var host = HealthReports.Build("mongo", Environment.GetEnvironmentVariable("SPOKES_TEST_MONGO")!, b => b.AddMongoClient("mongo"));
        var collection = host.Services.GetRequiredService<IMongoDatabase>().GetCollection<BsonDocument>("spokes_test_" + Guid.NewGuid().ToString("N"));
        await collection.InsertOneAsync(new BsonDocument("greeting", "hello"));
        Assert.Equal(1, await collection.CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty));
        await collection.Database.DropCollectionAsync(collection.CollectionNamespace.CollectionName);

        var report = await HealthReports.CheckAsync(host.Services, "mongo");
        Assert.Equal(HealthStatus.Healthy, report.Status);
    }

    [Fact]
    public async Task The_check_is_unhealthy_when_nothing_listens()
    {
        var port = Ports.Free();
        using var host = HealthReports.Build("mongo", $"mongodb://127.0.0.1:{port}/spokes?serverSelectionTimeoutMS=500&connectTimeoutMS=500",
            b => b.AddMongoClient("mongo"));
        var report = await HealthReports.CheckAsync(host.Services, "mongo");
        Assert.Equal(HealthStatus.Unhealthy, report.Status);
    }
}
