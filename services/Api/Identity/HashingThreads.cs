using System.Collections.Concurrent;

namespace Spokes.Api.Identity;

/// <summary>
/// Threads of their own for password hashing. Argon2id holds a thread for tens of milliseconds; run on the thread
/// pool, a burst of logins took every pool thread, so Redis replies and other requests waited until their own
/// timeouts failed them. Here a burst queues for these threads instead, at most one hash per core at a time, and the
/// pool keeps serving everything else.
/// </summary>
public sealed class HashingThreads
{
    private readonly BlockingCollection<Action> _work = [];

    public HashingThreads(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        for (var i = 0; i < count; i++)
        {
            new Thread(() =>
            {
                foreach (var work in _work.GetConsumingEnumerable()) work();
            }) { IsBackground = true, Name = $"password hashing {i + 1}" }.Start();
        }
    }

    /// <summary>Runs <paramref name="work"/> on one of these threads once one is free.</summary>
    public Task<T> RunAsync<T>(Func<T> work)
    {
        var result = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        _work.Add(() =>
        {
            try
            {
                result.SetResult(work());
            }
            catch (Exception e)
            {
                result.SetException(e);
            }
        });
        return result.Task;
    }
}
