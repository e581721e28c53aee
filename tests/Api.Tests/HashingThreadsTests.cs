using Spokes.Api.Identity;

namespace Spokes.Api.Tests;

public class HashingThreadsTests
{
    [Fact]
    public async Task Work_runs_on_threads_of_its_own_never_on_the_thread_pool()
    {
        var threads = new HashingThreads(1);
        Assert.False(await threads.RunAsync(() => Thread.CurrentThread.IsThreadPoolThread));
    }

    [Fact]
    public async Task No_more_work_runs_at_once_than_there_are_threads_and_the_rest_waits_its_turn()
    {
        var threads = new HashingThreads(2);
        using var release = new SemaphoreSlim(0);
        var started = new SemaphoreSlim(0);
        var running = 0;
        var mostAtOnce = 0;
        int Blocking()
        {
            var now = Interlocked.Increment(ref running);
            lock (threads) mostAtOnce = Math.Max(mostAtOnce, now);
            started.Release();
            release.Wait();
            return Interlocked.Decrement(ref running);
        }

        var works = Enumerable.Range(0, 3).Select(_ => threads.RunAsync(Blocking)).ToList();
        await started.WaitAsync();
        await started.WaitAsync();
        // Both threads are held: the third work cannot have started.
        Assert.Equal(2, Volatile.Read(ref running));
        Assert.All(works, w => Assert.False(w.IsCompleted));

        release.Release();
        await started.WaitAsync();
        release.Release(2);
        await Task.WhenAll(works);
        Assert.Equal(2, mostAtOnce);
    }

    [Fact]
    public async Task A_failing_work_fails_its_task_and_the_thread_goes_on_with_the_next()
    {
        var threads = new HashingThreads(1);
        await Assert.ThrowsAsync<FormatException>(() => threads.RunAsync<int>(() => throw new FormatException()));
        Assert.Equal(42, await threads.RunAsync(() => 42));
    }
}
