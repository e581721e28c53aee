using System.Diagnostics;

namespace Spokes.Benchmarks;

public sealed record LoadResult(string Scenario, int Requests, int Failures, TimeSpan Duration, double P50Milliseconds, double P99Milliseconds)
{
    public double Throughput => Requests / Duration.TotalSeconds;
}

/// <summary>Closed-loop load: <c>concurrency</c> workers each send the next request as soon as the last one answers.</summary>
public static class LoadGenerator
{
    public static async Task<LoadResult> RunAsync(string scenario, int concurrency, TimeSpan duration, Func<HttpClient, Task<bool>> request)
    {
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency, PooledConnectionLifetime = Timeout.InfiniteTimeSpan });
        // Warm-up: connections, JIT and caches, outside the measurement.
        await RunWorkersAsync(http, concurrency, TimeSpan.FromSeconds(1), request);
        var clock = Stopwatch.StartNew();
        var (latencies, failures) = await RunWorkersAsync(http, concurrency, duration, request);
        var elapsed = clock.Elapsed;
        latencies.Sort();
        return new LoadResult(scenario, latencies.Count, failures, elapsed, Percentile(latencies, 0.50), Percentile(latencies, 0.99));
    }

    private static async Task<(List<double> Latencies, int Failures)> RunWorkersAsync(HttpClient http, int concurrency, TimeSpan duration,
        Func<HttpClient, Task<bool>> request)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var failures = 0;
        var perWorker = await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            var latencies = new List<double>();
            while (Stopwatch.GetTimestamp() < deadline)
            {
                var started = Stopwatch.GetTimestamp();
                var ok = await request(http);
                latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                if (!ok) Interlocked.Increment(ref failures);
            }
            return latencies;
        }));
        return (perWorker.SelectMany(l => l).ToList(), failures);
    }

    private static double Percentile(List<double> sorted, double fraction) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(fraction * sorted.Count) - 1)];
}
