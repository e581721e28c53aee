using Spokes.AppHost.Local;

namespace Spokes.AppHost.Containers;

/// <summary>MinIO, the S3 API of the containers profile (any S3 service takes its place when deployed).</summary>
public sealed class MinioResource(string name, ParameterResource secretKey) : ContainerResource(name), IResourceWithConnectionString
{
    public const string AccessKey = "spokes";

    public EndpointReference Endpoint => new(this, "http");

    public ParameterResource SecretKey { get; } = secretKey;

    /// <summary>The form the services' S3 client reads: <c>Endpoint=…;AccessKey=…;SecretKey=…</c>.</summary>
    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"Endpoint={Endpoint.Property(EndpointProperty.Url)};AccessKey={AccessKey};SecretKey={SecretKey}");
}

public static class MinioStorage
{
    public static IResourceBuilder<MinioResource> AddMinio(this IDistributedApplicationBuilder builder, string name,
        IResourceBuilder<ParameterResource> secretKey, string? dataFolder)
    {
        var minio = builder.AddResource(new MinioResource(name, secretKey.Resource))
            .WithImage("minio/minio", "RELEASE.2024-12-18T13-15-44Z")
            .WithImageRegistry("docker.io")
            .WithHttpEndpoint(name: "http", targetPort: 9000)
            .WithEnvironment("MINIO_ROOT_USER", MinioResource.AccessKey)
            .WithEnvironment("MINIO_ROOT_PASSWORD", secretKey)
            .WithArgs("server", "/data")
            .WithHttpHealthCheck("/minio/health/live")
            .WithIconName("Storage");
        return dataFolder is null ? minio.WithVolume("data", "/data") : minio.WithBindMount(dataFolder, "/data");
    }
}
