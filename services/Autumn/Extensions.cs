using Microsoft.Extensions.Diagnostics.HealthChecks;
using Spokes.ServiceDefaults;

namespace Spokes.Autumn;

internal static class Extensions
{
    /// <summary>
    /// Files live in S3 (containers, cluster: <c>Endpoint=…;AccessKey=…;SecretKey=…</c>) or in a folder
    /// (local profile: <c>Folder=/path</c>), both given as the <c>s3</c> resource's connection string.
    /// </summary>
    public static IHostApplicationBuilder AddAutumnServices(this IHostApplicationBuilder builder)
    {
        var connectionString = ConnectionStrings.GetRequired(builder.Configuration, "s3");
        if (ConnectionStrings.ParseKeyValues(connectionString).TryGetValue("Folder", out var folder))
        {
            var path = Path.GetFullPath(folder);
            builder.Services.AddHealthChecks().AddCheck("s3", () => FileFolderHealth.Check(path), [ServiceDefaultsExtensions.ReadyTag]);
        }
        else
        {
            builder.AddS3Client("s3");
        }
        return builder;
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
