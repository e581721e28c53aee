using System.Diagnostics;
using Xunit;

namespace Spokes.TestSupport;

/// <summary>Waiting for what a background task makes true, and failing with <paramref name="failure"/> when it never does.</summary>
public static class Poll
{
    public static Task UntilAsync(Func<bool> condition, TimeSpan within, string? failure = null) =>
        UntilAsync(() => Task.FromResult(condition()), within, failure);

    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan within, string? failure = null)
    {
        var waited = Stopwatch.StartNew();
        while (!await condition() && waited.Elapsed < within) await Task.Delay(20);
        Assert.True(await condition(), failure ?? $"Not true within {within.TotalSeconds:F0} s.");
    }
}
