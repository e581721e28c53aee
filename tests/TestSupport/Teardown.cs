namespace Spokes.TestSupport;

/// <summary>
/// Disposal for fixtures. xUnit disposes a fixture whose <c>InitializeAsync</c> failed part-way, when what it would
/// have made later is still null: that is skipped, so the servers started before it still stop.
/// </summary>
public static class Teardown
{
    /// <summary>Disposes each part in order, skipping those never made.</summary>
    public static async Task DisposeAsync(params IAsyncDisposable?[] parts)
    {
        foreach (var part in parts)
            if (part is not null) await part.DisposeAsync();
    }
}
