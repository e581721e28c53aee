using Spokes.Api.Caching;

namespace Spokes.Api.Tests.Caching;

public class RecordCacheTests
{
    /// <summary>A clock the test moves by hand.</summary>
    private sealed class ManualClock : TimeProvider
    {
        public long Now { get; private set; } = 1_000_000;

        public override long TimestampFrequency => 1000;

        public override long GetTimestamp() => Now;

        public void Advance(TimeSpan by) => Now += (long)by.TotalMilliseconds;
    }

    private readonly ManualClock _clock = new();

    private RecordCache Trusted(int capacity = 100, TimeSpan? lifetime = null)
    {
        var cache = new RecordCache(new RecordCacheOptions { Capacity = capacity, Lifetime = lifetime ?? TimeSpan.FromSeconds(10) }, _clock);
        cache.Heard(_clock.GetTimestamp());
        return cache;
    }

    private static string? Held(RecordCache cache, string key) => cache.TryGet<string>(key, out var value) ? value : null;

    [Fact]
    public void Serves_nothing_before_its_heartbeat_comes_back()
    {
        var cache = new RecordCache(new RecordCacheOptions(), _clock);
        cache.Add("user:1", "one", cache.Epoch);
        Assert.Null(Held(cache, "user:1"));
        cache.Heard(_clock.GetTimestamp());
        cache.Add("user:1", "one", cache.Epoch);
        Assert.Equal("one", Held(cache, "user:1"));
    }

    [Fact]
    public void Stops_serving_when_its_heartbeat_is_late_and_starts_empty_when_it_comes()
    {
        var cache = Trusted();
        cache.Add("user:1", "one", cache.Epoch);
        _clock.Advance(RecordCache.TrustWindow);
        Assert.False(cache.IsTrusted);
        Assert.Null(Held(cache, "user:1"));
        cache.Heard(_clock.GetTimestamp());
        // Invalidations sent while it was not heard from may have been missed.
        Assert.Null(Held(cache, "user:1"));
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void After_a_lost_connection_only_a_heartbeat_sent_since_restores_trust()
    {
        var cache = Trusted();
        var sentBefore = _clock.GetTimestamp();
        cache.Add("user:1", "one", cache.Epoch);
        _clock.Advance(TimeSpan.FromMilliseconds(10));
        cache.Distrust();
        Assert.Equal(0, cache.Count);
        cache.Heard(sentBefore);
        Assert.False(cache.IsTrusted);
        _clock.Advance(TimeSpan.FromMilliseconds(10));
        cache.Heard(_clock.GetTimestamp());
        Assert.True(cache.IsTrusted);
    }

    [Fact]
    public void A_record_read_before_an_invalidation_is_not_kept()
    {
        var cache = Trusted();
        var epoch = cache.Epoch;
        // The read saw the record as it was; the write and its invalidation came before the read was kept.
        cache.Invalidate([CacheKeys.User("1")]);
        cache.Add(CacheKeys.User("1"), "old", epoch);
        Assert.Null(Held(cache, CacheKeys.User("1")));
        cache.Add(CacheKeys.User("1"), "new", cache.Epoch);
        Assert.Equal("new", Held(cache, CacheKeys.User("1")));
    }

    [Fact]
    public void A_group_key_drops_every_record_of_the_group_and_no_other()
    {
        var cache = Trusted();
        cache.Add(CacheKeys.Session("a"), "a", cache.Epoch, CacheKeys.SessionsOf("alice"));
        cache.Add(CacheKeys.Session("b"), "b", cache.Epoch, CacheKeys.SessionsOf("alice"));
        cache.Add(CacheKeys.Session("c"), "c", cache.Epoch, CacheKeys.SessionsOf("bob"));
        cache.Invalidate([CacheKeys.SessionsOf("alice")]);
        Assert.Null(Held(cache, CacheKeys.Session("a")));
        Assert.Null(Held(cache, CacheKeys.Session("b")));
        Assert.Equal("c", Held(cache, CacheKeys.Session("c")));
    }

    [Fact]
    public void Records_expire_after_their_lifetime()
    {
        var cache = Trusted(lifetime: TimeSpan.FromMilliseconds(500));
        cache.Add("user:1", "one", cache.Epoch);
        _clock.Advance(TimeSpan.FromMilliseconds(499));
        Assert.Equal("one", Held(cache, "user:1"));
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Null(Held(cache, "user:1"));
    }

    [Fact]
    public void Beyond_its_capacity_it_keeps_the_most_recently_used()
    {
        var cache = Trusted(capacity: 10);
        for (var i = 0; i < 10; i++)
        {
            cache.Add($"user:{i}", $"{i}", cache.Epoch);
            _clock.Advance(TimeSpan.FromMilliseconds(1));
        }
        Assert.Equal("0", Held(cache, "user:0"));
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        cache.Add("user:10", "10", cache.Epoch);
        Assert.Equal(9, cache.Count);
        Assert.Equal("0", Held(cache, "user:0"));
        Assert.Null(Held(cache, "user:1"));
        Assert.Null(Held(cache, "user:2"));
        Assert.Equal("10", Held(cache, "user:10"));
    }

    [Fact]
    public void Replace_changes_only_a_held_record()
    {
        var cache = Trusted();
        cache.Replace<string>("user:1", held => held + "!");
        Assert.Null(Held(cache, "user:1"));
        cache.Add("user:1", "one", cache.Epoch);
        cache.Replace<string>("user:1", held => held + "!");
        Assert.Equal("one!", Held(cache, "user:1"));
    }

    [Fact]
    public void Off_it_holds_nothing()
    {
        var cache = new RecordCache(new RecordCacheOptions { Enabled = false }, _clock);
        cache.Heard(_clock.GetTimestamp());
        cache.Add("user:1", "one", cache.Epoch);
        Assert.Null(Held(cache, "user:1"));
    }
}
