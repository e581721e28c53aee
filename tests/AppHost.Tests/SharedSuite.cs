using Spokes.TestSupport;

namespace Spokes.AppHost.Tests;

/// <summary>
/// One suite, in the local profile with no other option, for the tests that need only a running healthy suite (not
/// a fresh data folder, other options or a restart): each start costs a minute of both cores. Started when a test
/// first asks for it, stopped (and checked to leave nothing) when the suite collection ends. The tests that share it
/// keep apart by using accounts, servers and client addresses of their own.
/// </summary>
public sealed class SharedSuite : IAsyncLifetime
{
    private readonly TemporaryFolder _data = new("spokes-shared");
    private readonly Lazy<Task<TestSuite>> _running;

    public SharedSuite() => _running = new(() => TestSuite.StartAsync(_data.Path));

    /// <summary>The running suite; a start that failed fails every test that asks.</summary>
    public Task<TestSuite> GetAsync() => _running.Value;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_running.IsValueCreated)
        {
            var start = _running.Value;
            // A start that failed has stopped what it started, and the tests that asked have reported why.
            await ((Task)start).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (start.IsCompletedSuccessfully) await start.Result.DisposeAsync();
        }
        _data.Dispose();
    }
}
