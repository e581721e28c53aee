namespace Spokes.Autumn.Files;

/// <summary>
/// One lock per stored object (by hash), so an upload that reuses an object and the cleanup that removes it never
/// interleave within this process. Locks nobody waits for are dropped.
/// </summary>
public sealed class KeyedLocks
{
    private readonly Dictionary<string, (SemaphoreSlim Lock, int Users)> _locks = new(StringComparer.Ordinal);

    public async Task<IDisposable> AcquireAsync(string key, CancellationToken cancellationToken)
    {
        SemaphoreSlim semaphore;
        lock (_locks)
        {
            var entry = _locks.TryGetValue(key, out var found) ? found : (new SemaphoreSlim(1, 1), 0);
            _locks[key] = (entry.Item1, entry.Item2 + 1);
            semaphore = entry.Item1;
        }
        try
        {
            await semaphore.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            Leave(key);
            throw;
        }
        return new Holder(this, key, semaphore);
    }

    private void Leave(string key)
    {
        lock (_locks)
        {
            var (semaphore, users) = _locks[key];
            if (users == 1) _locks.Remove(key);
            else _locks[key] = (semaphore, users - 1);
        }
    }

    private sealed class Holder(KeyedLocks owner, string key, SemaphoreSlim semaphore) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 1) return;
            semaphore.Release();
            owner.Leave(key);
        }
    }
}
