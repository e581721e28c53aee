using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Spokes.AppHost.Local;

public static class ResourceProbes
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Aspire's health check for the resource, made of a probe (run once the resource is running). Aspire checks an
    /// unhealthy resource again after 1, 2, 3, 4 and then every 5 s, and a start waits out those gaps at every step
    /// of a chain (RabbitMQ → Api → Events → Gateway); so the check itself probes every 100 ms for up to 10 s and
    /// answers as soon as the resource does.
    /// </summary>
    public static IResourceBuilder<T> WithProbe<T>(this IResourceBuilder<T> builder, Func<CancellationToken, Task<HealthCheckResult>> probe)
        where T : IResource
    {
        var key = $"{builder.Resource.Name}-ready";
        builder.ApplicationBuilder.Services.AddHealthChecks().AddAsyncCheck(key, cancellationToken => UntilHealthyAsync(probe, cancellationToken));
        return builder.WithHealthCheck(key);
    }

    private static async Task<HealthCheckResult> UntilHealthyAsync(Func<CancellationToken, Task<HealthCheckResult>> probe, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var result = await probe(cancellationToken);
            if (result.Status == HealthStatus.Healthy || clock.Elapsed >= Patience) return result;
            await Task.Delay(Interval, cancellationToken);
        }
    }

    /// <summary>A folder that is the whole store (SQLite files, uploaded files) is ready when it can be written.</summary>
    public static Task<HealthCheckResult> WritableFolder(string folder)
    {
        try
        {
            Directory.CreateDirectory(folder);
            var probe = Path.Combine(folder, ".apphost-probe");
            File.WriteAllText(probe, "");
            File.Delete(probe);
            return Task.FromResult(HealthCheckResult.Healthy($"writable folder {folder}"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy($"{folder} is not writable: {e.Message}"));
        }
    }
}
