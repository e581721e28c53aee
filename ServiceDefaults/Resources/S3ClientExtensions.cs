using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Minio;
using Spokes.ServiceDefaults;

namespace Microsoft.Extensions.Hosting;

/// <summary>Settings of an S3 resource, read from <c>Endpoint=…;AccessKey=…;SecretKey=…;Region=…</c>.</summary>
public sealed record S3Settings(Uri Endpoint, string AccessKey, string SecretKey, string Region)
{
    public static S3Settings Parse(string connectionString)
    {
        var values = ConnectionStrings.ParseKeyValues(connectionString);
        string Required(string key) => values.TryGetValue(key, out var value) && value.Length > 0
            ? value
            : throw new InvalidOperationException($"S3 connection string is missing '{key}='.");

        if (!Uri.TryCreate(Required("Endpoint"), UriKind.Absolute, out var endpoint)
            || endpoint.Scheme is not ("http" or "https"))
        {
            throw new InvalidOperationException("S3 connection string 'Endpoint=' must be an http:// or https:// URL.");
        }

        return new S3Settings(
            endpoint,
            Required("AccessKey"),
            Required("SecretKey"),
            values.TryGetValue("Region", out var region) && region.Length > 0 ? region : "us-east-1");
    }
}

public static class S3ClientExtensions
{
    /// <summary>
    /// Registers an <see cref="IMinioClient"/> for the S3 resource <paramref name="resourceName"/>
    /// (MinIO, AWS S3 or any S3 API) and a readiness check that lists buckets with the configured keys.
    /// </summary>
    public static IHostApplicationBuilder AddS3Client(this IHostApplicationBuilder builder, string resourceName)
    {
        var settings = S3Settings.Parse(ConnectionStrings.GetRequired(builder.Configuration, resourceName));
        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton<IMinioClient>(_ => new MinioClient()
            .WithEndpoint(settings.Endpoint.Authority)
            .WithSSL(settings.Endpoint.Scheme == "https")
            .WithCredentials(settings.AccessKey, settings.SecretKey)
            .WithRegion(settings.Region)
            .Build());
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            resourceName,
            sp => new S3HealthCheck(sp.GetRequiredService<IMinioClient>()),
            HealthStatus.Unhealthy,
            [ServiceDefaultsExtensions.ReadyTag, resourceName],
            TimeSpan.FromSeconds(5)));
        return builder;
    }
}

internal sealed class S3HealthCheck(IMinioClient client) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await client.ListBucketsAsync(cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy("S3 endpoint refused or did not answer", e);
        }
    }
}
