using System.Collections.Concurrent;

namespace Spokes.Api.Caching;

public sealed class RecordCacheOptions
{
    public const string SectionName = "Api:RecordCache";

    /// <summary>Off: every read goes to the store, as before the caches.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How many records one Api replica holds at most.</summary>
    public int Capacity { get; set; } = 100_000;

    /// <summary>
    /// How long a record is served before it is read again: a backstop only, for a writer that could not reach
    /// Redis at all (every other change is invalidated on every replica before its writer answers).
    /// </summary>
    public TimeSpan Lifetime { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>
/// The records this replica holds, by <see cref="CacheKeys"/>. It serves them only while it is sure it hears every
/// invalidation: its own heartbeat, sent through the same Redis channel as the invalidations, came back less than
/// <see cref="TrustWindow"/> ago, and after the last lost connection (<see cref="Distrust"/>). Trust regained
/// starts from an empty cache, as invalidations sent meanwhile may have been missed.
/// </summary>
public sealed class RecordCache(RecordCacheOptions options, TimeProvider clock)
{
    /// <summary>Shorter than <see cref="CacheInvalidation.AcknowledgementWait"/>, so a replica that never acknowledged has stopped serving when the writer answers.</summary>
    public static readonly TimeSpan TrustWindow = TimeSpan.FromSeconds(1);

    private sealed record Entry(object Value, string? Group, long Expires)
    {
        public long LastUsed;
    }

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Lock _trimming = new();
    private long _epoch;
    private long _heardAt = long.MinValue;
    private long _distrustedAt = long.MinValue + 1;

    public int Count => _entries.Count;

    /// <summary>Taken before a store read: a record read then is kept only if nothing was invalidated meanwhile.</summary>
    public long Epoch => Interlocked.Read(ref _epoch);

    public bool IsTrusted
    {
        get
        {
            var heard = Interlocked.Read(ref _heardAt);
            return heard > Interlocked.Read(ref _distrustedAt) && clock.GetElapsedTime(heard) < TrustWindow;
        }
    }

    public bool TryGet<T>(string key, out T value) where T : class
    {
        if (options.Enabled && IsTrusted && _entries.TryGetValue(key, out var entry) && entry.Expires > clock.GetTimestamp() && entry.Value is T found)
        {
            entry.LastUsed = clock.GetTimestamp();
            value = found;
            return true;
        }
        value = null!;
        return false;
    }

    /// <summary>
    /// Keeps a record read from the store since <paramref name="epoch"/> (<see cref="Epoch"/>), unless an invalidation
    /// came meanwhile: that one may have been meant for this very record, read before the write.
    /// </summary>
    public void Add(string key, object value, long epoch, string? group = null)
    {
        if (!options.Enabled || !IsTrusted || Epoch != epoch) return;
        var now = clock.GetTimestamp();
        var entry = new Entry(value, group, now + (long)(options.Lifetime.TotalSeconds * clock.TimestampFrequency)) { LastUsed = now };
        _entries[key] = entry;
        // An invalidation between the check above and the write: it may have missed the entry, so take it out here.
        if (Epoch != epoch) _entries.TryRemove(new KeyValuePair<string, Entry>(key, entry));
        if (_entries.Count > options.Capacity) Trim();
    }

    /// <summary>Replaces a held record with what the caller just wrote, if it is held; <paramref name="change"/> gets the held value.</summary>
    public void Replace<T>(string key, Func<T, T> change) where T : class
    {
        var epoch = Epoch;
        if (!_entries.TryGetValue(key, out var entry) || entry.Value is not T held) return;
        var replaced = entry with { Value = change(held) };
        if (_entries.TryUpdate(key, replaced, entry) && Epoch != epoch) _entries.TryRemove(new KeyValuePair<string, Entry>(key, replaced));
    }

    /// <summary>Drops the records of <paramref name="keys"/>; a group key (<see cref="CacheKeys.IsGroup"/>) drops every record in that group.</summary>
    public void Invalidate(IEnumerable<string> keys)
    {
        Interlocked.Increment(ref _epoch);
        foreach (var key in keys)
        {
            if (!CacheKeys.IsGroup(key))
                _entries.TryRemove(key, out _);
            else
                foreach (var (held, entry) in _entries)
                    if (entry.Group == key) _entries.TryRemove(new KeyValuePair<string, Entry>(held, entry));
        }
    }

    public void Clear()
    {
        Interlocked.Increment(ref _epoch);
        _entries.Clear();
    }

    /// <summary>
    /// This replica's heartbeat, sent at <paramref name="sentAt"/> (<see cref="TimeProvider.GetTimestamp"/>), came
    /// back: everything published before it has been heard. Coming back from distrust empties the cache first.
    /// </summary>
    public void Heard(long sentAt)
    {
        if (!IsTrusted) Clear();
        Interlocked.Exchange(ref _heardAt, sentAt);
    }

    /// <summary>The connection to Redis was lost: invalidations may be missed until a heartbeat sent after now comes back.</summary>
    public void Distrust()
    {
        Interlocked.Exchange(ref _distrustedAt, clock.GetTimestamp());
        Clear();
    }

    /// <summary>Keeps the most recently used nine tenths of <see cref="RecordCacheOptions.Capacity"/>.</summary>
    private void Trim()
    {
        lock (_trimming)
        {
            var excess = _entries.Count - options.Capacity * 9 / 10;
            if (excess <= 0) return;
            foreach (var (key, entry) in _entries.OrderBy(e => e.Value.LastUsed).Take(excess).ToList())
                _entries.TryRemove(new KeyValuePair<string, Entry>(key, entry));
        }
    }
}
