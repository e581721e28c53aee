using System.Diagnostics;
using MassTransit;

namespace Spokes.Crond;

/// <summary>
/// Runs each job once per period across every Crond replica: at each period's start the replicas race for its
/// claim (<see cref="JobLease"/>); the winner sends the job's command, stamped with the period and its fencing token.
/// </summary>
public sealed class JobScheduler(IBus bus, JobLease lease, IConfiguration configuration, CrondMetrics metrics, TimeProvider clock, ILogger<JobScheduler> logger)
    : BackgroundService
{
    public const string PeriodHeader = "Spokes-Crond-Period";
    public const string FenceHeader = "Spokes-Crond-Fence";

    /// <summary>How soon a run that failed (Redis or RabbitMQ away) is tried again within its period.</summary>
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(5);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(CrondJobs.From(configuration).Select(job => RunAsync(job, stoppingToken)));

    private async Task RunAsync(CrondJob job, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var period = JobLease.PeriodOf(clock.GetUtcNow(), job.Interval);
            var done = await TryRunAsync(job, period, stoppingToken);
            var wake = done ? JobLease.StartOf(period + 1, job.Interval) : clock.GetUtcNow() + RetryDelay;
            var wait = wake - clock.GetUtcNow();
            if (wait > TimeSpan.Zero) await Task.Delay(wait, clock, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>False when the period should be tried again (nothing could be decided or sent).</summary>
    private async Task<bool> TryRunAsync(CrondJob job, long period, CancellationToken stoppingToken)
    {
        var started = Stopwatch.GetTimestamp();
        JobClaim? claim = null;
        try
        {
            claim = await lease.TryClaimAsync(job.Name, period);
            if (claim is null) return true;
            var at = clock.GetUtcNow();
            var command = job.Command(at);
            await bus.Publish(command, command.GetType(), context =>
            {
                context.Headers.Set(PeriodHeader, period);
                context.Headers.Set(FenceHeader, claim.Fence);
            }, stoppingToken);
            var duration = Stopwatch.GetElapsedTime(started);
            metrics.Record(job.Name, "sent", duration, at);
            logger.LogInformation("Ran {Job} for period {Period} (fence {Fence}) in {Duration} ms", job.Name, period, claim.Fence, duration.TotalMilliseconds);
            return true;
        }
        catch (Exception e) when (!stoppingToken.IsCancellationRequested)
        {
            metrics.Record(job.Name, "failed", Stopwatch.GetElapsedTime(started), clock.GetUtcNow());
            logger.LogWarning("Could not run {Job} for period {Period}: {Reason}; trying again in {Delay}", job.Name, period, e.Message, RetryDelay);
            if (claim is not null) await ReleaseQuietlyAsync(claim);
            return false;
        }
    }

    private async Task ReleaseQuietlyAsync(JobClaim claim)
    {
        try
        {
            await lease.ReleaseAsync(claim);
        }
        catch (StackExchange.Redis.RedisException e)
        {
            // The claim stays: this period is skipped, and the next one runs as usual.
            logger.LogWarning("Could not release {Job}'s claim of period {Period}: {Reason}", claim.Job, claim.Period, e.Message);
        }
    }
}
