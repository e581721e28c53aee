using Spokes.Cli;
using Spokes.Contracts.Tunnels;
using Spokes.TestSupport;
using Spokes.TunnelEdge.Store;

namespace Spokes.TunnelEdge.Tests;

/// <summary>The edge's rules as plain classes: host names, the store's ownership and housekeeping, framing, tables.</summary>
public sealed class RulesTests
{
    [Theory]
    [InlineData("app.example.com", true)]
    [InlineData("*.app.example.com", true)]
    [InlineData("*.com", false)]
    [InlineData("a..b", false)]
    [InlineData("-a.b", false)]
    [InlineData("UPPER.b", false)]
    [InlineData("a_b.c", false)]
    [InlineData("x.*.c", false)]
    public void Host_names_are_dns_labels_with_an_optional_leading_wildcard(string name, bool valid) => Assert.Equal(valid, Hostnames.IsValid(name));

    [Theory]
    [InlineData("me.edge.io", true)]
    [InlineData("api.me.edge.io", true)]
    [InlineData("*.me.edge.io", true)]
    [InlineData("other.edge.io", false)]
    [InlineData("edge.io", false)]
    [InlineData("*.edge.io", false)]
    [InlineData("shop.example.org", true)]
    public void A_tunnel_may_claim_its_own_names_and_outside_domains_only(string requested, bool allowed) =>
        Assert.Equal(allowed, Hostnames.MayClaim(requested, "me.edge.io", "edge.io"));

    [Fact]
    public void A_host_is_matched_exactly_first_then_by_the_closest_wildcard() =>
        Assert.Equal(["a.b.edge.io", "*.b.edge.io", "*.edge.io"], Hostnames.Candidates("a.b.edge.io"));

    [Fact]
    public async Task Ports_are_handed_out_lowest_first_within_the_range_and_the_per_tunnel_limit()
    {
        using var folder = new TemporaryFolder();
        await using var store = await EdgeStore.OpenAsync(Path.Combine(folder.Path, "spokes.db"), TimeProvider.System);
        var first = await store.CreateTokenAsync("a.edge.io");
        var second = await store.CreateTokenAsync("b.edge.io");
        var range = new PortRangeOptions { Begin = 40000, End = 40002 };

        Assert.Equal(40000, await store.AllocatePortAsync(first.TunnelId, range, maxPorts: 2));
        Assert.Equal(40001, await store.AllocatePortAsync(first.TunnelId, range, maxPorts: 2));
        Assert.Equal(TunnelErrorCodes.NoPortsLeft, (await Assert.ThrowsAsync<TunnelRefusedException>(() => store.AllocatePortAsync(first.TunnelId, range, 2))).Code);
        Assert.Equal(40002, await store.AllocatePortAsync(second.TunnelId, range, maxPorts: 2));
        Assert.Equal(TunnelErrorCodes.NoPortsLeft, (await Assert.ThrowsAsync<TunnelRefusedException>(() => store.AllocatePortAsync(second.TunnelId, range, 2))).Code);
        Assert.Equal(TunnelErrorCodes.NoPortsLeft, (await Assert.ThrowsAsync<TunnelRefusedException>(() => store.AllocatePortAsync(second.TunnelId, range, 0))).Code);
    }

    [Fact]
    public async Task A_claimed_name_stays_with_its_tunnel_until_cleaned_and_then_is_free()
    {
        using var folder = new TemporaryFolder();
        await using var store = await EdgeStore.OpenAsync(Path.Combine(folder.Path, "spokes.db"), TimeProvider.System);
        var owner = await store.CreateTokenAsync("a.edge.io");
        var other = await store.CreateTokenAsync("b.edge.io");
        await store.ClaimDomainsAsync(owner.TunnelId, ["shop.example.org"]);
        await store.ClaimDomainsAsync(owner.TunnelId, ["shop.example.org"]);
        await Assert.ThrowsAsync<TunnelRefusedException>(() => store.ClaimDomainsAsync(other.TunnelId, ["new.example.org", "shop.example.org"]));
        // All or nothing: the other tunnel did not get the first name either.
        await store.ClaimDomainsAsync(owner.TunnelId, ["new.example.org"]);
        await Assert.ThrowsAsync<TunnelRefusedException>(() => store.CreateTokenAsync("a.edge.io"));

        Assert.Equal([owner.TunnelId], await store.RemoveTokensAsync(owner.Id));
        Assert.False((await store.FindTokenAsync(owner.Token))!.Active);
        await Assert.ThrowsAsync<TunnelRefusedException>(() => store.ClaimDomainsAsync(other.TunnelId, ["shop.example.org"]));

        var issues = await store.CleanAsync(check: true);
        Assert.Equal([new CleanIssue("tunnel", owner.TunnelId.ToString(), "its token was removed")], issues);
        Assert.Equal(issues, await store.CleanAsync(check: true));
        Assert.Equal(issues, await store.CleanAsync(check: false));
        Assert.Empty(await store.CleanAsync(check: true));
        await store.ClaimDomainsAsync(other.TunnelId, ["shop.example.org"]);
        Assert.Equal("a.edge.io", (await store.CreateTokenAsync("a.edge.io")).Hostname);
    }

    [Fact]
    public async Task Tunnel_messages_round_trip_and_oversized_or_unknown_ones_are_refused()
    {
        using var stream = new MemoryStream();
        await TunnelFraming.WriteAsync(stream, new Hello("t", "1", "linux", "x64", ["a.b.c"], [22000]), CancellationToken.None);
        await TunnelFraming.WriteAsync(stream, new Start(null, 22000), CancellationToken.None);
        stream.Position = 0;
        var hello = Assert.IsType<Hello>(await TunnelFraming.ReadAsync(stream, CancellationToken.None));
        Assert.Equal(["a.b.c"], hello.Domains);
        Assert.Equal(new Start(null, 22000), await TunnelFraming.ReadAsync(stream, CancellationToken.None));
        Assert.Null(await TunnelFraming.ReadAsync(stream, CancellationToken.None));

        using var oversized = new MemoryStream([0x7f, 0, 0, 0]);
        await Assert.ThrowsAsync<InvalidDataException>(() => TunnelFraming.ReadAsync(oversized, CancellationToken.None));
        var unknown = "{\"type\":\"Nope\"}"u8.ToArray();
        using var unknownStream = new MemoryStream([0, 0, 0, (byte)unknown.Length, .. unknown]);
        await Assert.ThrowsAsync<InvalidDataException>(() => TunnelFraming.ReadAsync(unknownStream, CancellationToken.None));
    }

    [Fact]
    public void Tables_align_their_columns_and_figures_read_as_people_write_them()
    {
        var text = new Table("ID", "Name").Add("1", "long name").Add("22", "x").ToString().Split(Environment.NewLine);
        Assert.Equal(["+----+-----------+", "| ID | Name      |", "+----+-----------+", "| 1  | long name |", "| 22 | x         |", "+----+-----------+", ""], text);
        Assert.Equal("512 B", Table.Bytes(512));
        Assert.Equal("1.50 MiB", Table.Bytes(1536 * 1024));
        Assert.Equal("2d 3h", Table.Duration(2 * 86400 + 3 * 3600 + 5));
        Assert.Equal("4m 2s", Table.Duration(242));
    }

    [Fact]
    public void The_configuration_refuses_what_cannot_work()
    {
        Assert.Throws<InvalidOperationException>(() => new EdgeOptions { PortRange = { Begin = 23000, End = 22000 } }.Validate());
        Assert.Throws<InvalidOperationException>(() => new EdgeOptions { TunOptions = { MaxPoolSize = 0 } }.Validate());
        Assert.Throws<InvalidOperationException>(() => new EdgeOptions { TunOptions = { IdlePoolSize = -1 } }.Validate());
        Assert.Throws<InvalidOperationException>(() => new EdgeOptions { TunOptions = { PoolIdleTimeout = TimeSpan.Zero } }.Validate());
        Assert.Throws<InvalidOperationException>(() => new EdgeOptions { Listen = { Tunnel = "nowhere" } }.Validate());
        Assert.Throws<InvalidOperationException>(() => new EdgeOptions { Listen = { Https = "*:443" } }.Validate());
        new EdgeOptions().Validate();
        Assert.Equal(1, new EdgeOptions { TunOptions = { MaxPoolSize = 1 } }.TunOptions.InitialPoolSize);
    }

    [Theory]
    [InlineData(40L << 20, 0L, true)]
    [InlineData(QuietMemoryTrim.BurstBytes, QuietMemoryTrim.QuietBytes - 1, true)]
    [InlineData(QuietMemoryTrim.BurstBytes - 1, 0L, false)]
    [InlineData(40L << 20, QuietMemoryTrim.QuietBytes, false)]
    [InlineData(0L, 0L, false)]
    public void Memory_is_handed_back_once_a_burst_has_gone_quiet_and_never_under_traffic(long sinceTrim, long thisInterval, bool trims) =>
        Assert.Equal(trims, QuietMemoryTrim.ShouldTrim(sinceTrim, thisInterval));

    [Fact]
    public async Task The_clients_log_never_blocks_its_caller_and_a_stalled_reader_loses_only_the_oldest_lines()
    {
        var output = new StalledWriter();
        var log = new TunnelClient.QueuedLog(output);
        log.Write("line 0");
        await output.Stalled.WaitAsync(TimeSpan.FromSeconds(10));
        // The reader is stuck on its first line; 19 999 more lines still return at once.
        await Task.Run(() =>
        {
            for (var i = 1; i < 20_000; i++) log.Write($"line {i}");
        }).WaitAsync(TimeSpan.FromSeconds(10));
        output.Release();
        await log.DisposeAsync();
        Assert.Equal(10_001, output.Lines.Count);
        Assert.EndsWith("line 19999", output.Lines[^1]);
        Assert.Matches(@"^\d\d:\d\d:\d\d line 0$", output.Lines[0]);
    }

    /// <summary>A stdout whose reader stalls until released.</summary>
    private sealed class StalledWriter : StringWriter
    {
        private readonly TaskCompletionSource _stalled = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public List<string> Lines { get; } = [];

        /// <summary>Done once the first line reached the writer (and is stuck there).</summary>
        public Task Stalled => _stalled.Task;

        public void Release() => _released.SetResult();

        public override async Task WriteLineAsync(string? value)
        {
            _stalled.TrySetResult();
            await _released.Task;
            Lines.Add(value!);
        }
    }
}
