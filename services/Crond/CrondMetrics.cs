using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Spokes.Crond;

/// <summary>Each job's runs, their duration and result, and when each last ran (meter <c>Spokes.Crond</c>, in the Aspire dashboard).</summary>
public sealed class CrondMetrics
{
    public const string MeterName = "Spokes.Crond";

    private readonly Counter<long> _runs;
    private readonly Histogram<double> _duration;
    private readonly ConcurrentDictionary<string, long> _lastRun = new();

    public CrondMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _runs = meter.CreateCounter<long>("spokes.crond.runs", description: "Job runs by job and result");
        _duration = meter.CreateHistogram<double>("spokes.crond.run.duration", "s", "Time to hand a job's command to its owner");
        meter.CreateObservableGauge("spokes.crond.last_run", () => _lastRun.Select(e => new Measurement<long>(e.Value, new KeyValuePair<string, object?>("job", e.Key))),
            "s", "When each job last ran on this replica (Unix time)");
    }

    public void Record(string job, string result, TimeSpan duration, DateTimeOffset at)
    {
        var tags = new TagList { { "job", job }, { "result", result } };
        _runs.Add(1, tags);
        _duration.Record(duration.TotalSeconds, tags);
        if (result == "sent") _lastRun[job] = at.ToUnixTimeSeconds();
    }
}
