using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Spokes.Pushd.Delivery;

/// <summary>Pushd's instruments (meter <c>Spokes.Pushd</c>), shown in the Aspire dashboard.</summary>
public sealed class PushMetrics
{
    public const string MeterName = "Spokes.Pushd";

    private readonly Counter<long> _deliveries;
    private readonly Histogram<double> _duration;

    public PushMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _deliveries = meter.CreateCounter<long>("spokes.pushd.deliveries", description: "Push deliveries by service and outcome");
        _duration = meter.CreateHistogram<double>("spokes.pushd.delivery.duration", "s", "Time to deliver one push, retries included");
    }

    public void Record(PushService service, DeliveryOutcome outcome, TimeSpan duration)
    {
        var tags = new TagList { { "service", service.ToString() }, { "outcome", outcome.ToString() } };
        _deliveries.Add(1, tags);
        _duration.Record(duration.TotalSeconds, tags);
    }
}
