using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Spokes.TestSupport;

namespace Spokes.AppHost.Tests;

/// <summary>
/// The suite as a user runs it: <c>dotnet run --project AppHost</c> (its built program), the line it prints, the
/// Aspire dashboard in a real browser, and Ctrl+C or a crash, after which nothing it started may be left.
/// </summary>
[Collection(SuiteCollection.Name)]
public partial class UserTests
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);

    private static readonly string[] Resources =
    [
        "mongo", "redis", "rabbitmq", "rabbitmq-epmd", "s3", "api", "events", "autumn", "january", "gifbox", "crond", "pushd",
        "voice-ingress", "tunnel-edge", "gateway",
    ];

    [GeneratedRegex(@"^Spokes is up in (?<seconds>[0-9.]+) s: (?<url>\S+) \(gateway on 127\.0\.0\.1:(?<port>\d+)\), dashboard (?<dashboard>\S+)\. Ctrl\+C stops it\.$")]
    private static partial Regex UpLine();

    private static async Task<(AppHostProcess AppHost, Match Up)> StartAsync(string dataFolder)
    {
        var apphost = AppHostProcess.Start(
            ["--profile", "local", "--data", dataFolder, "--port", Ports.Free().ToString(), "--dashboard-port", Ports.Free().ToString()],
            owner: dataFolder);
        var line = await apphost.WaitForLineAsync(l => l.StartsWith("Spokes is up", StringComparison.Ordinal) || l.StartsWith('✗'), StartTimeout);
        var up = UpLine().Match(line);
        Assert.True(up.Success, $"The suite did not start:{Environment.NewLine}{apphost.Output}");
        Console.WriteLine($"AppHost start-up to all healthy: {up.Groups["seconds"].Value} s");
        return (apphost, up);
    }

    [Fact]
    public async Task The_printed_dashboard_shows_every_resource_healthy_and_a_request_traced_across_services_and_sigterm_leaves_nothing()
    {
        using var data = new TemporaryFolder("spokes-user");
        var (apphost, up) = await StartAsync(data.Path);
        await using (apphost)
        {
            foreach (var name in Resources) Assert.Matches($@"✓ {Regex.Escape(name)}\s+healthy after", apphost.Output);
            using (var gateway = new HttpClient())
            {
                (await gateway.GetAsync($"http://127.0.0.1:{up.Groups["port"].Value}/api/")).EnsureSuccessStatusCode();
            }

            using var playwright = await Playwright.CreateAsync();
            await using var browser = await playwright.Chromium.LaunchAsync(new()
            {
                // Debian's Chromium: Playwright's own browser download cannot reach the internet from here.
                ExecutablePath = "/usr/bin/chromium",
                Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
            });
            // Tall enough for every resource's row: the dashboard's grid renders only the rows in view.
            var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1280, Height = 2400 } });
            page.SetDefaultTimeout(60_000);
            // Another test may have set the assertions' default: under a loaded test run the dashboard takes its time.
            Assertions.SetDefaultExpectTimeout(60_000);
            await page.GotoAsync(up.Groups["dashboard"].Value);

            // Resources: one row per resource, each Running and none reported unhealthy.
            foreach (var name in Resources)
            {
                var row = page.Locator("tr[role=row]").Filter(new() { Has = page.Locator(".resource-name-text", new() { HasTextRegex = new Regex($"^{Regex.Escape(name)}$") }) });
                await Assertions.Expect(row).ToHaveCountAsync(1);
                await Assertions.Expect(row.Locator("td[aria-label=Running]")).ToHaveCountAsync(1);
            }
            await Assertions.Expect(page.Locator("td[role=gridcell]", new() { HasTextString = "Unhealthy" })).ToHaveCountAsync(0);

            // Traces: the request went Gateway → Api (→ Redis) as one trace.
            await page.GotoAsync(new Uri(new Uri(up.Groups["dashboard"].Value), "/traces").ToString());
            var trace = page.Locator("tr[role=row]").Filter(new() { HasTextString = "gateway: GET /api/" }).First;
            await Assertions.Expect(trace).ToContainTextAsync("api (");

            apphost.Terminate();
            Assert.Equal(0, await apphost.WaitForExitAsync(TimeSpan.FromSeconds(90)));
            Assert.Contains("Stopped.", apphost.Output);
            Assert.Empty(await SuiteProcesses.WaitUntilGoneAsync(data.Path, TimeSpan.FromSeconds(15)));
        }
    }

    [Fact]
    public async Task An_apphost_killed_outright_leaves_nothing_running()
    {
        using var data = new TemporaryFolder("spokes-user");
        var (apphost, _) = await StartAsync(data.Path);
        await using (apphost)
        {
            Assert.Contains(SuiteProcesses.Of(data.Path), p => p.Contains("redis-server"));
            apphost.Kill();
            await apphost.WaitForExitAsync(TimeSpan.FromSeconds(30));
            // DCP watches the AppHost and stops everything it started once the AppHost is gone.
            var left = await SuiteProcesses.WaitUntilGoneAsync(data.Path, TimeSpan.FromSeconds(60));
            Assert.True(left.Count == 0, string.Join(Environment.NewLine, left));
        }
    }

    [Fact]
    public async Task A_service_that_fails_to_start_stops_the_start_with_its_reason_and_leaves_nothing()
    {
        using var data = new TemporaryFolder("spokes-user");
        // The Api refuses a captcha key without its secret when it starts; the AppHost passes its environment on.
        await using var apphost = AppHostProcess.Start(["--profile", "local", "--data", data.Path, "--port", Ports.Free().ToString()],
            owner: data.Path, environment: new() { ["Api__CaptchaKey"] = "a-key-without-its-secret" });
        Assert.Equal(1, await apphost.WaitForExitAsync(StartTimeout));
        Assert.Matches(@"✗ api exited with code -?\d+ while the suite was starting; its log is .*api\.log\. Last lines:", apphost.Output);
        Assert.Contains("Api:CaptchaKey and Api:CaptchaSecret must be set together", apphost.Output);
        Assert.DoesNotContain("Spokes is up", apphost.Output);
        Assert.Empty(await SuiteProcesses.WaitUntilGoneAsync(data.Path, TimeSpan.FromSeconds(60)));
    }

    [Fact]
    public async Task A_taken_gateway_port_stops_the_start_with_one_clear_line()
    {
        using var data = new TemporaryFolder("spokes-user");
        using var blocker = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        blocker.Start();
        var port = ((System.Net.IPEndPoint)blocker.LocalEndpoint).Port;
        await using var apphost = AppHostProcess.Start(["--profile", "local", "--data", data.Path, "--port", port.ToString()], owner: data.Path);
        Assert.Equal(1, await apphost.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal($"Port {port} is already in use on 127.0.0.1: stop what uses it or choose another with --port.", apphost.Output.Trim());
    }

    [SkippableFact]
    public async Task The_containers_profile_without_a_container_engine_stops_at_once_with_one_line()
    {
        Skip.If(Suite.ContainerEngine.Detect() is not null, "a container engine answers on this machine");
        using var data = new TemporaryFolder("spokes-user");
        await using var apphost = AppHostProcess.Start(["--profile", "containers", "--data", data.Path], owner: data.Path);
        Assert.Equal(1, await apphost.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal("--profile containers needs a Docker or Podman engine, and none answers: start one, or use --profile local.", apphost.Output.Trim());
    }

    [Theory]
    [InlineData("--publisher helm --output-path out", "--publisher must be manifest or kubernetes, not 'helm'.")]
    [InlineData("--profile docker", "--profile must be local or containers, not 'docker'.")]
    [InlineData("--port 8080 --wat 1", "Unknown option '--wat'. See --help.")]
    public async Task A_bad_option_stops_the_apphost_with_one_line(string arguments, string expected)
    {
        using var folder = new TemporaryFolder();
        await using var apphost = AppHostProcess.Start(arguments.Split(' '), folder.Path);
        Assert.Equal(2, await apphost.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal(expected, apphost.Output.Trim());
    }
}
