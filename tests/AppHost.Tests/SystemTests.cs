using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Spokes.AppHost.Hosting;
using Spokes.TestSupport;
using StackExchange.Redis;

namespace Spokes.AppHost.Tests;

/// <summary>
/// The whole suite in the local profile, started, used through its Gateway and stopped exactly as a user
/// does with <c>dotnet run --project AppHost</c>, on free ports and a data folder of its own.
/// </summary>
[Collection(nameof(SystemTests))]
public partial class SystemTests
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    private sealed record Suite(AppHostProcess AppHost, int Port, int DashboardPort, TimeSpan StartUp);

    private static async Task<Suite> StartAsync(string dataFolder, int? port = null, int? dashboardPort = null)
    {
        port ??= ResourceRunner.FreePort();
        dashboardPort ??= ResourceRunner.FreePort();
        var apphost = AppHostProcess.Start(
            ["--profile", "local", "--data", dataFolder, "--port", port.ToString()!, "--dashboard-port", dashboardPort.ToString()!]);
        var line = await apphost.WaitForLineAsync(l => l.StartsWith("Spokes is up in ", StringComparison.Ordinal)
                                                       || l.Contains("did not become healthy") || l.Contains("could not start"), StartTimeout);
        Assert.True(line.StartsWith("Spokes is up in ", StringComparison.Ordinal), $"The suite did not start:{Environment.NewLine}{apphost.Output}");
        var seconds = double.Parse(StartUpTime().Match(line).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        return new Suite(apphost, port.Value, dashboardPort.Value, TimeSpan.FromSeconds(seconds));
    }

    [GeneratedRegex(@"up in ([0-9.]+) s")]
    private static partial Regex StartUpTime();

    private static async Task<JsonElement> GetJsonAsync(string url)
    {
        using var response = await Http.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    private static async Task StopAndAssertNothingLeftAsync(Suite suite, string dataFolder)
    {
        suite.AppHost.Terminate();
        Assert.Equal(0, await suite.AppHost.WaitForExitAsync(TimeSpan.FromSeconds(90)));
        Assert.Contains("Stopped.", suite.AppHost.Output);
        Assert.Empty(AppHostProcess.ProcessesOf(dataFolder));
    }

    [Fact]
    public async Task The_suite_starts_healthy_answers_through_the_gateway_and_stops_without_leaving_a_process()
    {
        using var data = new TemporaryFolder("spokes-system");
        var suite = await StartAsync(data.Path);
        await using (suite.AppHost)
        {
            var gateway = $"http://127.0.0.1:{suite.Port}";
            var root = await GetJsonAsync($"{gateway}/api/");
            Assert.Equal($"ws://localhost:{suite.Port}/ws", root.GetProperty("ws").GetString());
            Assert.Equal($"http://localhost:{suite.Port}/autumn", root.GetProperty("features").GetProperty("autumn").GetProperty("url").GetString());
            Assert.Matches("^B[A-Za-z0-9_-]{86}$", root.GetProperty("vapid").GetString());
            var openApi = await StoatOpenApi.LoadAsync();
            Assert.Empty(openApi.Validate(root, "RevoltConfig"));

            var discovery = await GetJsonAsync($"{gateway}/.well-known/stoat");
            Assert.Equal($"http://localhost:{suite.Port}/api", discovery.GetProperty("api").GetString());
            Assert.Equal("Hello, I am a file server!", (await GetJsonAsync($"{gateway}/autumn/")).GetProperty("autumn").GetString());
            Assert.Equal("Hello, I am a media proxy server!", (await GetJsonAsync($"{gateway}/january/")).GetProperty("january").GetString());

            var resources = await GetJsonAsync($"http://127.0.0.1:{suite.DashboardPort}/api/resources");
            var states = resources.EnumerateArray().ToDictionary(
                r => r.GetProperty("snapshot").GetProperty("name").GetString()!,
                r => r.GetProperty("snapshot").GetProperty("state").GetString());
            string[] expected = ["mongo", "redis", "rabbitmq", "s3", "api", "events", "autumn", "january", "gifbox", "crond", "pushd", "voice-ingress", "tunnel-edge", "gateway"];
            Assert.Equal(expected.Order(), states.Keys.Order());
            Assert.All(states, state => Assert.Equal("Healthy", state.Value));
            Assert.NotEmpty((await GetJsonAsync($"http://127.0.0.1:{suite.DashboardPort}/api/resources/api/logs")).EnumerateArray());

            Assert.True(File.Exists(Path.Combine(data.Path, "logs", "api.log")));
            Assert.Contains(File.ReadAllLines(Path.Combine(data.Path, "logs", "rabbitmq.log")), l => l.Contains("Server startup complete", StringComparison.OrdinalIgnoreCase));
            Assert.Matches(@"✓ api\s+healthy after", suite.AppHost.Output);
            Console.WriteLine($"AppHost start-up (cold data folder): {suite.StartUp.TotalSeconds:F1} s");

            await StopAndAssertNothingLeftAsync(suite, data.Path);
        }
    }

    [Fact]
    public async Task State_survives_restarts_and_an_apphost_killed_outright_is_cleaned_up_by_the_next()
    {
        using var data = new TemporaryFolder("spokes-system");
        var first = await StartAsync(data.Path);
        // Disposed last: its clean-up of leftovers would otherwise do the second AppHost's job.
        await using var crashed = first.AppHost;
        var gateway = $"http://127.0.0.1:{first.Port}/api";
        using (var signUp = await Http.PostAsJsonAsync($"{gateway}/auth/account/create", new { email = "kept@example.com", password = "kept password" }))
        {
            Assert.Equal(HttpStatusCode.NoContent, signUp.StatusCode);
        }
        var redis = await ConnectRedisAsync(first, data.Path);
        await redis.GetDatabase().StringSetAsync("spokes:system-test", "kept");
        // AOF is synced every second; give it that second before the crash.
        await Task.Delay(TimeSpan.FromSeconds(2));
        await redis.DisposeAsync();

        var orphanedRedis = await ProcessIdOfAsync(first, "redis");
        first.AppHost.Kill();
        await first.AppHost.WaitForExitAsync(TimeSpan.FromSeconds(30));
        Assert.NotEmpty(AppHostProcess.ProcessesOf(data.Path));
        Assert.True(IsRunning(orphanedRedis), "killing the AppHost alone should leave its children running");

        var second = await StartAsync(data.Path);
        await using (second.AppHost)
        {
            Assert.Contains("left running by an earlier AppHost", second.AppHost.Output);
            Assert.False(IsRunning(orphanedRedis), "the crashed AppHost's redis-server is still running");
            await using var reconnected = await ConnectRedisAsync(second, data.Path);
            Assert.Equal("kept", (string?)await reconnected.GetDatabase().StringGetAsync("spokes:system-test"));
            using var login = await Http.PostAsJsonAsync($"http://127.0.0.1:{second.Port}/api/auth/session/login",
                new { email = "kept@example.com", password = "kept password" });
            Assert.Equal(HttpStatusCode.OK, login.StatusCode);
            Assert.Equal("Success", JsonDocument.Parse(await login.Content.ReadAsStringAsync()).RootElement.GetProperty("result").GetString());
            Console.WriteLine($"AppHost start-up (warm data folder): {second.StartUp.TotalSeconds:F1} s");
            await StopAndAssertNothingLeftAsync(second, data.Path);
        }
    }

    [Fact]
    public async Task A_taken_gateway_port_stops_the_start_with_one_clear_line()
    {
        using var data = new TemporaryFolder("spokes-system");
        using var blocker = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        blocker.Start();
        var port = ((IPEndPoint)blocker.LocalEndpoint).Port;
        await using var apphost = AppHostProcess.Start(["--profile", "local", "--data", data.Path, "--port", port.ToString()]);
        Assert.Equal(1, await apphost.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains($"Port {port} is already in use", apphost.Output);
        Assert.Empty(AppHostProcess.ProcessesOf(data.Path));
    }

    private static async Task<int> ProcessIdOfAsync(Suite suite, string resource)
    {
        var resources = await GetJsonAsync($"http://127.0.0.1:{suite.DashboardPort}/api/resources");
        return resources.EnumerateArray().Single(r => r.GetProperty("snapshot").GetProperty("name").GetString() == resource)
            .GetProperty("snapshot").GetProperty("processId").GetInt32();
    }

    /// <summary>Alive and not a zombie (an orphan's exit is reaped by PID 1, which may take its time).</summary>
    private static bool IsRunning(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Reads Redis's port from the dashboard and its password from the data folder, as an operator would.</summary>
    private static async Task<ConnectionMultiplexer> ConnectRedisAsync(Suite suite, string dataFolder)
    {
        var resources = await GetJsonAsync($"http://127.0.0.1:{suite.DashboardPort}/api/resources");
        var endpoint = resources.EnumerateArray().Single(r => r.GetProperty("snapshot").GetProperty("name").GetString() == "redis")
            .GetProperty("snapshot").GetProperty("endpoints")[0].GetString()!;
        var secrets = JsonDocument.Parse(File.ReadAllText(Path.Combine(dataFolder, "secrets.json"))).RootElement;
        return await ConnectionMultiplexer.ConnectAsync($"{new Uri(endpoint).Authority},password={secrets.GetProperty("redis-password").GetString()}");
    }
}
