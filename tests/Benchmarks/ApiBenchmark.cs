using System.Net.Http.Json;
using System.Text.Json;
using Spokes.TestSupport;

namespace Spokes.Benchmarks;

/// <summary>Where the Api is reached: its own endpoint, or the Gateway's <c>/api</c> in front of it.</summary>
public sealed record ApiTarget(string Via, string Url);

/// <summary>A signed-up, onboarded account and one of its sessions.</summary>
public sealed record ApiSession(string Email, string SessionId, string Token);

/// <summary>One measured line, next to the ceiling measured just before it with the same number of clients.</summary>
public sealed record Row(LoadResult Result, string Via, int Clients, LoadResult Ceiling);

/// <summary>
/// The Api's scenarios — <c>GET /users/@me</c> and login against a bare Kestrel JSON endpoint, message sends against one
/// bare SQLite insert, a history page in a channel of 100 000 messages against one indexed range read of the same
/// database — each at 1, 16 and 64 clients (sends also at 32, the acceptance line of issue 24) next to its ceiling
/// measured in the same run with as many clients. Reported as ratios, since absolute numbers on a shared machine mean
/// little. Two ways to run the Api:
/// <list type="bullet">
/// <item><b>standalone</b>: its own process on SQLite with a real Redis and RabbitMQ and nothing else (cheaper, and the
/// figures of the earlier notes);</item>
/// <item><b>suite</b>: the real AppHost runs it (<see cref="SuiteRun"/>), measured at the Api's own endpoint and through
/// the Gateway; then <see cref="ReplicaBenchmark"/> with one and two Api replicas.</item>
/// </list>
/// Rate limits are off in both (see <see cref="SuiteRun"/>); encryption at rest is on, under <see cref="MasterPassword"/>.
/// </summary>
public static class ApiBenchmark
{
    /// <summary>The Api's master password here; the history seed opens the channel's key with it.</summary>
    public const string MasterPassword = "benchmark master password";

    public const string Password = "correct horse battery staple";

    private static readonly int[] ClientCounts = [1, 16, 64];

    public static Task RunStandaloneAsync(TimeSpan duration) => Children.WithServersAsync(async (redis, rabbitmq) =>
    {
        using var data = new TemporaryFolder("spokes-bench");
        var apiDatabase = Path.Combine(data.Path, "spokes.db");
        var apiPort = Ports.Free();
        var api = Children.Start("Spokes.Api", [], new Dictionary<string, string>
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{apiPort}",
            ["ConnectionStrings__redis"] = redis.ConnectionString,
            ["ConnectionStrings__rabbitmq"] = rabbitmq.ConnectionString,
            ["ConnectionStrings__mongo"] = $"Data Source={apiDatabase}",
            ["Api__PublicUrl"] = "http://localhost",
            ["Api__VapidPublicKey"] = "BBenchmark",
            ["Api__RateLimit__Enabled"] = "false",
            ["Api__MasterPassword"] = MasterPassword,
            ["Logging__LogLevel__Default"] = "Warning",
        }, data.Path);
        try
        {
            var apiUrl = $"http://127.0.0.1:{apiPort}";
            await Children.WaitForAsync($"{apiUrl}/health");
            await MeasureAndPrintAsync("standalone Api", data.Path, apiDatabase, [new ApiTarget("api", apiUrl)], duration);
        }
        finally
        {
            await api.StopAsync(TimeSpan.FromSeconds(10));
        }
    });

    public static async Task RunSuiteAsync(TimeSpan duration)
    {
        using (var data = new TemporaryFolder("spokes-bench-suite"))
        await using (var suite = await SuiteRun.StartAsync(data.Path, apiReplicas: null))
        {
            var api = suite.ApiReplicas.Single();
            await MeasureAndPrintAsync("the Api as the AppHost runs it", data.Path, suite.ChatDatabase,
                [new ApiTarget("api", api), new ApiTarget("gateway", $"{suite.GatewayUrl}/api")], duration);
        }
        await ReplicaBenchmark.RunAsync(duration);
    }

    /// <summary>Signs up through the first target, measures every scenario on each target, and prints the table.</summary>
    private static async Task MeasureAndPrintAsync(string title, string folder, string apiDatabase, IReadOnlyList<ApiTarget> targets, TimeSpan duration)
    {
        var barePort = Ports.Free();
        var bareUrl = $"http://127.0.0.1:{barePort}";
        var bare = Children.Start("Spokes.Benchmarks", ["serve-bare", barePort.ToString(), Path.Combine(folder, "bare.db"), apiDatabase], [], folder);
        try
        {
            await Children.WaitForAsync($"{bareUrl}/");
            var session = await SignUpAsync(targets[0].Url);
            var logins = await LoginAccountsAsync(targets[0].Url);
            var nextLogin = 0;
            var groups = new List<ScenarioGroup>
            {
                new("bare Kestrel GET /", ClientCounts, http => GetOkAsync(http, $"{bareUrl}/"),
                [
                    ("GET /users/@me", url => http => SendOkAsync(http, HttpMethod.Get, $"{url}/users/@me", session.Token)),
                    ($"POST /auth/session/login ({LoginAccounts} accounts in turn)", url => async http =>
                    {
                        var email = logins[(int)((uint)Interlocked.Increment(ref nextLogin) % LoginAccounts)];
                        using var response = await http.PostAsJsonAsync($"{url}/auth/session/login", new { email, password = Password, friendly_name = "bench" });
                        return response.IsSuccessStatusCode;
                    }),
                ]),
            };
            groups.AddRange(await MessagingBenchmark.ScenariosAsync(targets[0].Url, bareUrl, session.Token, apiDatabase));

            var rows = new List<Row>();
            foreach (var group in groups) rows.AddRange(await group.MeasureAsync(targets, duration, () => OutboxDrainedAsync(apiDatabase)));
            Console.WriteLine();
            Console.WriteLine($"{title}: {duration.TotalSeconds:F0} s per line after 1 s of warm-up, {Environment.ProcessorCount} cores; " +
                              "each line is compared with the ceiling above it (same run, same clients)");
            PrintTable(rows);
            PrintAcceptance(rows);
        }
        finally
        {
            await bare.StopAsync(TimeSpan.FromSeconds(10));
        }
    }

    private static void PrintTable(IEnumerable<Row> rows)
    {
        Console.WriteLine($"{"scenario",-52} {"via",-8} {"clients",7} {"req/s",10} {"p50 ms",9} {"p99 ms",9} {"failed",7} {"of ceiling",11}");
        foreach (var (result, via, clients, ceiling) in rows)
        {
            Console.WriteLine($"{result.Scenario,-52} {via,-8} {clients,7} {result.Throughput,10:F0} {result.P50Milliseconds,9:F2} {result.P99Milliseconds,9:F2} " +
                              $"{result.Failures,7} {(ReferenceEquals(result, ceiling) ? "ceiling" : (result.Throughput / ceiling.Throughput).ToString("P1")),11}");
        }
    }

    /// <summary>Issue 24's acceptance lines, as the earlier notes measured them (the Api's own endpoint).</summary>
    private static void PrintAcceptance(IReadOnlyList<Row> rows)
    {
        (string Scenario, int Clients, double Target)[] lines =
        [
            ("GET /users/@me", 16, 0.50),
            ("POST /channels/{id}/messages", 1, 0.50),
            ("POST /channels/{id}/messages", 32, 0.80),
            (MessagingBenchmark.HistoryScenario, 16, 0.90),
        ];
        Console.WriteLine("acceptance (issue 24), the Api's own endpoint:");
        foreach (var (scenario, clients, target) in lines)
        {
            var row = rows.First(r => r.Result.Scenario == scenario && r.Clients == clients && r.Via == "api");
            var ratio = row.Result.Throughput / row.Ceiling.Throughput;
            Console.WriteLine($"  {scenario,-50} {clients,3} clients  {ratio,7:P1} of ceiling (target {target:P0})  p99 {row.Result.P99Milliseconds:F2} ms  " +
                              $"{(ratio >= target ? "met" : "not met")}");
        }
    }

    public static async Task<bool> GetOkAsync(HttpClient http, string url)
    {
        using var response = await http.GetAsync(url);
        return response.IsSuccessStatusCode;
    }

    public static async Task<bool> SendOkAsync(HttpClient http, HttpMethod method, string url, string token, object? body = null)
    {
        using var response = await SendAsync(http, method, url, token, body);
        return response.IsSuccessStatusCode;
    }

    public static Task<HttpResponseMessage> SendAsync(HttpClient http, HttpMethod method, string url, string token, object? body = null)
    {
        var request = new HttpRequestMessage(method, url) { Content = body is null ? null : JsonContent.Create(body) };
        request.Headers.Add("X-Session-Token", token);
        return http.SendAsync(request);
    }

    /// <summary>
    /// Accounts the login scenario takes in turn. The Api counts a login as a wrong guess until its password is checked
    /// (LoginLockout), so three at once to one account from one address lock it (LockedOut): on one account the line
    /// measured the lockout, not logins. With this many, one account rarely has two in flight even at 64 clients.
    /// </summary>
    private const int LoginAccounts = 32;

    /// <summary>
    /// Returns once the Api's outbox is empty: after a burst of sends its relay goes on publishing the backlog, and
    /// a ceiling measured meanwhile would share the cores with it (and with RabbitMQ) and come out low.
    /// </summary>
    private static async Task OutboxDrainedAsync(string apiDatabase)
    {
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={apiDatabase};Mode=ReadOnly");
        await connection.OpenAsync();
        await using var count = connection.CreateCommand();
        count.CommandText = "SELECT count(*) FROM outbox";
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (Convert.ToInt64(await count.ExecuteScalarAsync()) > 0)
        {
            if (waited.Elapsed > TimeSpan.FromMinutes(2))
            {
                Console.WriteLine("warning: the Api's outbox did not drain within 2 minutes; measuring the ceiling anyway");
                return;
            }
            await Task.Delay(100);
        }
    }

    private static async Task<string[]> LoginAccountsAsync(string apiUrl)
    {
        using var http = new HttpClient();
        var emails = Enumerable.Range(0, LoginAccounts).Select(_ => $"bench-login-{Guid.NewGuid():N}@example.com").ToArray();
        // A few at a time: each is a password hash.
        await Parallel.ForEachAsync(emails, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (email, cancellationToken) =>
            (await http.PostAsJsonAsync($"{apiUrl}/auth/account/create", new { email, password = Password }, cancellationToken)).EnsureSuccessStatusCode());
        return emails;
    }

    public static async Task<ApiSession> SignUpAsync(string apiUrl)
    {
        using var http = new HttpClient();
        var email = $"bench-{Guid.NewGuid():N}@example.com";
        (await http.PostAsJsonAsync($"{apiUrl}/auth/account/create", new { email, password = Password })).EnsureSuccessStatusCode();
        var session = await LoginAsync(http, apiUrl, email);
        using var onboard = await SendAsync(http, HttpMethod.Post, $"{apiUrl}/onboard/complete", session.Token, new { username = "bench" });
        onboard.EnsureSuccessStatusCode();
        return session;
    }

    public static async Task<ApiSession> LoginAsync(HttpClient http, string apiUrl, string email)
    {
        using var login = await http.PostAsJsonAsync($"{apiUrl}/auth/session/login", new { email, password = Password, friendly_name = "bench" });
        login.EnsureSuccessStatusCode();
        var answer = JsonDocument.Parse(await login.Content.ReadAsStringAsync()).RootElement;
        return new ApiSession(email, answer.GetProperty("_id").GetString()!, answer.GetProperty("token").GetString()!);
    }
}

/// <summary>A ceiling and the Api requests judged against it, at several client counts.</summary>
/// <param name="Requests">Each request, given the Api's base URL of a target.</param>
public sealed record ScenarioGroup(string CeilingName, int[] Clients, Func<HttpClient, Task<bool>> Ceiling,
    IReadOnlyList<(string Name, Func<string, Func<HttpClient, Task<bool>>> Request)> Requests)
{
    /// <summary>
    /// Per client count: the ceiling, once <paramref name="settled"/>, then each request on each target right after it.
    /// First, every one of them runs for <see cref="WarmUp"/> unmeasured, so that the lines measure code the JIT has
    /// finished optimising (tiered compilation recompiles a hot method only after it has run for a while; the 1 s
    /// warm-up of each line left the first client count measuring the JIT).
    /// </summary>
    public async Task<IReadOnlyList<Row>> MeasureAsync(IReadOnlyList<ApiTarget> targets, TimeSpan duration, Func<Task> settled)
    {
        await LoadGenerator.RunAsync(CeilingName, WarmUpClients, WarmUp, Ceiling);
        foreach (var (name, request) in Requests)
        {
            foreach (var target in targets) await LoadGenerator.RunAsync(name, WarmUpClients, WarmUp, request(target.Url));
        }
        var rows = new List<Row>();
        foreach (var clients in Clients)
        {
            await settled();
            var ceiling = await LoadGenerator.RunAsync(CeilingName, clients, duration, Ceiling);
            rows.Add(new Row(ceiling, "", clients, ceiling));
            foreach (var (name, request) in Requests)
            {
                foreach (var target in targets)
                {
                    rows.Add(new Row(await LoadGenerator.RunAsync(name, clients, duration, request(target.Url)), target.Via, clients, ceiling));
                }
            }
        }
        return rows;
    }

    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(5);

    private const int WarmUpClients = 16;
}
