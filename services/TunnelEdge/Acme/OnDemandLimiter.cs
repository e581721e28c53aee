namespace Spokes.TunnelEdge.Acme;

/// <summary>
/// Which on-demand orders may be placed now: at most <c>perHour</c> in any hour, one at a time per name, and a
/// name whose order failed only after <c>retryAfterFailure</c> — a visitor repeating a handshake must not spend the
/// CA's rate limits.
/// </summary>
public sealed class OnDemandLimiter(int perHour, TimeSpan retryAfterFailure)
{
    private readonly Queue<DateTimeOffset> _placed = new();
    private readonly HashSet<string> _inFlight = [];
    private readonly Dictionary<string, DateTimeOffset> _failed = [];
    private readonly Lock _lock = new();

    public bool TryStart(string name, DateTimeOffset now)
    {
        lock (_lock)
        {
            while (_placed.Count > 0 && now - _placed.Peek() >= TimeSpan.FromHours(1)) _placed.Dequeue();
            if (_placed.Count >= perHour || _inFlight.Contains(name)) return false;
            if (_failed.TryGetValue(name, out var failedAt) && now - failedAt < retryAfterFailure) return false;
            _placed.Enqueue(now);
            _inFlight.Add(name);
            return true;
        }
    }

    public void Finished(string name, bool succeeded, DateTimeOffset now)
    {
        lock (_lock)
        {
            _inFlight.Remove(name);
            if (succeeded) _failed.Remove(name);
            else _failed[name] = now;
        }
    }
}
