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

    /// <summary>Open-loop load, as vegeta's <c>-rate</c>: requests start on schedule whatever the earlier ones take.</summary>
    public static async Task<LoadResult> RunAtRateAsync(string scenario, int perSecond, TimeSpan duration, Func<HttpClient, Task<bool>> request)
    {
        using var http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = Timeout.InfiniteTimeSpan });
        // Warm-up at a tenth of the rate: JIT and the first connections, outside the measurement.
        await SendAtRateAsync(http, perSecond / 10, TimeSpan.FromSeconds(1), request);
        var clock = Stopwatch.StartNew();
        var results = await SendAtRateAsync(http, perSecond, duration, request);
        var elapsed = clock.Elapsed;
        var latencies = results.Select(r => r.Milliseconds).Order().ToList();
        return new LoadResult(scenario, results.Length, results.Count(r => !r.Ok), elapsed, Percentile(latencies, 0.50), Percentile(latencies, 0.99));
    }

    private static async Task<(double Milliseconds, bool Ok)[]> SendAtRateAsync(HttpClient http, int perSecond, TimeSpan duration, Func<HttpClient, Task<bool>> request)
    {
        var total = (int)(perSecond * duration.TotalSeconds);
        var sent = new List<Task<(double Milliseconds, bool Ok)>>(total);
        var clock = Stopwatch.StartNew();
        while (sent.Count < total)
        {
            var due = Math.Min(total, (int)(clock.Elapsed.TotalSeconds * perSecond) + 1);
            while (sent.Count < due) sent.Add(TimeAsync(http, request));
            await Task.Delay(1);
        }
        return await Task.WhenAll(sent);
    }

    private static async Task<(double Milliseconds, bool Ok)> TimeAsync(HttpClient http, Func<HttpClient, Task<bool>> request)
    {
        var started = Stopwatch.GetTimestamp();
        bool ok;
        try
        {
            ok = await request(http);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            // Refused, broken, or past HttpClient's timeout: a failed request, as vegeta counts it.
            ok = false;
        }
        return (Stopwatch.GetElapsedTime(started).TotalMilliseconds, ok);
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
                var (milliseconds, ok) = await TimeAsync(http, request);
                latencies.Add(milliseconds);
                if (!ok) Interlocked.Increment(ref failures);
            }
            return latencies;
        }));
        return (perWorker.SelectMany(l => l).ToList(), failures);
    }

    /// <summary>The kernel's 1-, 5- and 15-minute load averages: how busy the shared machine was around a run.</summary>
    public static string LoadAverage() => string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3));

    private static double Percentile(List<double> sorted, double fraction) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(fraction * sorted.Count) - 1)];
}
