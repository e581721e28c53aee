using System.Diagnostics;
using Spokes.TestSupport;

namespace Spokes.Benchmarks;

/// <summary>
/// The whole suite as a user starts it: the real AppHost's built program (same configuration as this one), the local
/// profile, a data folder and ports of its own, the setup answers of tests/suite-setup.json. Its Api runs exactly as
/// the suite runs it: with the Events, Pushd and January consumers of its messages, telemetry to the dashboard, and
/// encryption at rest under the master password given here.
/// </summary>
public sealed class SuiteRun : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(5);

    private readonly ManagedProcess _appHost;

    private SuiteRun(ManagedProcess appHost, string dataFolder, int port)
    {
        _appHost = appHost;
        DataFolder = dataFolder;
        GatewayUrl = $"http://127.0.0.1:{port}";
    }

    public string DataFolder { get; }

    /// <summary>The suite's one public address; the Api is behind its <c>/api</c>.</summary>
    public string GatewayUrl { get; }

    /// <summary>The local profile's chat database (AppHost/Suite/Infrastructure.cs: <c>DATA/sqlite/spokes.db</c>).</summary>
    public string ChatDatabase => Path.Combine(DataFolder, "sqlite", "spokes.db");

    /// <summary>Each Api process's own address: one, or with <c>--api-replicas N</c> N of them behind DCP's proxy.</summary>
    public IReadOnlyList<string> ApiReplicas => [.. ServiceReplicas.Of(DataFolder, "Spokes.Api").Select(u => u.GetLeftPart(UriPartial.Authority))];

    /// <param name="apiReplicas">The AppHost's <c>--api-replicas</c>; null runs the suite as users run it (one Api, no proxy).</param>
    public static async Task<SuiteRun> StartAsync(string dataFolder, int? apiReplicas)
    {
        var port = Ports.Free();
        string[] arguments =
        [
            "--profile", "local", "--data", dataFolder, "--port", port.ToString(), "--dashboard-port", Ports.Free().ToString(),
            .. apiReplicas is { } replicas ? new[] { "--api-replicas", replicas.ToString() } : [],
        ];
        var environment = new Dictionary<string, string>
        {
            ["SPOKES_MASTER_PASSWORD"] = ApiBenchmark.MasterPassword,
            // Setup done at the first start, so that sign-up is open at once.
            ["SPOKES_SETUP_FILE"] = Path.Combine(BuildLayout.RepositoryRoot, "tests", "suite-setup.json"),
            ["Parameters__license-verifying-key"] = SuiteLicense.VerifyingKey,
            // The AppHost's environment reaches every service through DCP: the Api's rate limits are off, as in the
            // standalone run, since each scenario is one user sending thousands of requests a second (Stoat allows 20
            // per 10 s on most routes). Checked below.
            ["Api__RateLimit__Enabled"] = "false",
        };
        var up = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var appHost = Children.Start("AppHost", "Spokes.AppHost", arguments, environment, dataFolder, line =>
        {
            output.Enqueue(line);
            if (line.StartsWith("Spokes is up", StringComparison.Ordinal)) up.TrySetResult(line);
        });
        var run = new SuiteRun(appHost, dataFolder, port);
        var clock = Stopwatch.StartNew();
        var first = await Task.WhenAny(up.Task, appHost.Exited, Task.Delay(StartTimeout));
        if (first != up.Task)
        {
            await run.DisposeAsync();
            throw new InvalidOperationException($"The suite did not come up within {StartTimeout.TotalMinutes:F0} minutes " +
                                                $"({(appHost.HasExited ? "the AppHost exited" : "timed out")}). Its output:{Environment.NewLine}{string.Join(Environment.NewLine, output)}");
        }
        Console.WriteLine($"suite{(apiReplicas is { } n ? $" --api-replicas {n}" : "")}: up in {clock.Elapsed.TotalSeconds:F0} s, Api at {string.Join(", ", run.ApiReplicas)}");
        await run.CheckRateLimitsAreOffAsync();
        return run;
    }

    /// <summary>Every answer of the Api carries X-RateLimit-* while the limits are on.</summary>
    private async Task CheckRateLimitsAreOffAsync()
    {
        using var http = new HttpClient();
        using var response = await http.GetAsync($"{GatewayUrl}/api/");
        response.EnsureSuccessStatusCode();
        if (response.Headers.Contains("X-RateLimit-Limit"))
            throw new InvalidOperationException("The Api's rate limits are on: Api__RateLimit__Enabled did not reach it through the AppHost.");
    }

    /// <summary>SIGTERM: the AppHost stops everything it started; then waits for the Api's processes to be gone.</summary>
    public async ValueTask DisposeAsync()
    {
        await _appHost.StopAsync(TimeSpan.FromSeconds(30));
        var clock = Stopwatch.StartNew();
        while (ServiceReplicas.Of(DataFolder, "Spokes.Api").Count > 0 && clock.Elapsed < TimeSpan.FromSeconds(30)) await Task.Delay(200);
    }
}
