using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Spokes.TestSupport;

namespace Spokes.AppHost.Tests;

/// <summary>
/// The whole suite in the local profile, started from AppHost/Program.cs by Aspire.Hosting.Testing on a data folder
/// and a Gateway port of its own, with every resource healthy. Disposing stops it and checks that nothing is left.
/// </summary>
public sealed class TestSuite : IAsyncDisposable
{
    // Every wait has a bound: a resource that never turns healthy would otherwise hang the test run (aspire.md).
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);

    private TestSuite(DistributedApplication app, string dataFolder, int port)
    {
        App = app;
        DataFolder = dataFolder;
        Gateway = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
    }

    public DistributedApplication App { get; }

    public string DataFolder { get; }

    public HttpClient Gateway { get; }

    /// <summary>The answers that complete setup at start (tests/suite-setup.json), so that sign-up is open at once.</summary>
    public static string SetupFile => Path.Combine(BuildLayout.RepositoryRoot, "tests", "suite-setup.json");

    /// <param name="options">More of the AppHost's options (<c>--tunnel …</c>).</param>
    public static async Task<TestSuite> StartAsync(string dataFolder, params string[] options)
    {
        // DCP, and through it every process of the suite, inherits this test's environment: the mark finds them.
        Environment.SetEnvironmentVariable(ManagedProcess.OwnerVariable, dataFolder);
        // Read by the AppHost, which runs in this process.
        Environment.SetEnvironmentVariable("SPOKES_SETUP_FILE", SetupFile);
        Environment.SetEnvironmentVariable("Parameters__license-verifying-key", SuiteLicense.VerifyingKey);
        // Given, so the AppHost does not generate one into the user's secrets.
        Environment.SetEnvironmentVariable(AppHostProcess.MasterPasswordVariable, AppHostProcess.MasterPassword);
        var port = Ports.Free();
        using var timeout = new CancellationTokenSource(StartTimeout);
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
            ["--profile", "local", "--data", dataFolder, "--port", port.ToString(), .. options], timeout.Token);
        // Each resource's output would otherwise be repeated into the test log; the data folder keeps it.
        builder.Services.AddLogging(logging => logging.AddFilter("Spokes.AppHost.Resources", LogLevel.Warning));
        var app = await builder.BuildAsync(timeout.Token);
        try
        {
            await app.StartAsync(timeout.Token);
            var model = app.Services.GetRequiredService<DistributedApplicationModel>();
            await Task.WhenAll(model.Resources
                .Where(r => r is not ParameterResource && !r.TryGetLastAnnotation<ExplicitStartupAnnotation>(out _))
                .Select(r => app.ResourceNotifications.WaitForResourceHealthyAsync(r.Name, timeout.Token)));
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
        return new TestSuite(app, dataFolder, port);
    }

    public async ValueTask DisposeAsync()
    {
        Gateway.Dispose();
        await App.DisposeAsync();
        var left = await SuiteProcesses.WaitUntilGoneAsync(DataFolder, TimeSpan.FromSeconds(30));
        Assert.True(left.Count == 0, $"The suite left processes running:{Environment.NewLine}{string.Join(Environment.NewLine, left)}");
    }
}
