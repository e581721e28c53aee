using Spokes.TestSupport;
using StackExchange.Redis;

namespace Spokes.Crond.Tests;

public sealed class JobLeaseTests(RedisServer redisServer) : IClassFixture<RedisServer>
{
    [Fact]
    public async Task Of_two_replicas_one_claims_each_period_with_a_growing_fence()
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(redisServer.ConnectionString);
        var (a, b) = (new JobLease(redis), new JobLease(redis));
        var job = "job-" + Guid.NewGuid().ToString("N");

        var first = await a.TryClaimAsync(job, 100);
        Assert.Null(await b.TryClaimAsync(job, 100));
        var second = await b.TryClaimAsync(job, 101);
        Assert.Null(await a.TryClaimAsync(job, 101));

        Assert.NotNull(first);
        Assert.NotNull(second);
        Assert.True(second.Fence > first.Fence);
    }

    [Fact]
    public async Task After_downtime_the_current_period_runs_once_and_missed_ones_never()
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(redisServer.ConnectionString);
        var lease = new JobLease(redis);
        var job = "job-" + Guid.NewGuid().ToString("N");
        await lease.TryClaimAsync(job, 10);

        Assert.NotNull(await lease.TryClaimAsync(job, 50));
        Assert.Null(await lease.TryClaimAsync(job, 49));
        Assert.Null(await lease.TryClaimAsync(job, 50));
    }

    [Fact]
    public async Task A_claim_given_back_can_be_claimed_again_unless_someone_claimed_since()
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(redisServer.ConnectionString);
        var lease = new JobLease(redis);
        var job = "job-" + Guid.NewGuid().ToString("N");
        await lease.TryClaimAsync(job, 1);

        var failed = await lease.TryClaimAsync(job, 2);
        await lease.ReleaseAsync(failed!);
        var retried = await lease.TryClaimAsync(job, 2);
        var next = await lease.TryClaimAsync(job, 3);
        await lease.ReleaseAsync(retried!);

        Assert.NotNull(retried);
        Assert.NotNull(next);
        Assert.Null(await lease.TryClaimAsync(job, 3));
    }

    [Fact]
    public void Periods_are_cut_from_the_epoch_so_every_replica_agrees()
    {
        var interval = TimeSpan.FromMinutes(1);
        var moment = DateTimeOffset.Parse("2026-12-07T01:02:03Z");

        var period = JobLease.PeriodOf(moment, interval);

        Assert.Equal(DateTimeOffset.Parse("2026-12-07T01:02:00Z"), JobLease.StartOf(period, interval));
        Assert.Equal(period + 1, JobLease.PeriodOf(moment.AddSeconds(57), interval));
    }
}
