using System.Net.Http.Json;
using System.Text.Json;
using Spokes.TestSupport;

namespace Spokes.Benchmarks;

/// <summary>
/// The Api on the local profile (its own process on SQLite, with real Redis and RabbitMQ), each scenario
/// next to a bare Kestrel ceiling measured in the same run: login and <c>GET /users/@me</c> against a bare
/// JSON endpoint; message sends (1 and 32 senders) against a bare endpoint doing one SQLite insert; a page of
/// history in a channel of 100 000 messages against one indexed range read of the same database. Reported
/// as ratios to the ceilings, since absolute numbers on a shared machine mean little.
/// </summary>
public static class ApiBenchmark
{
    /// <summary>The Api's master password here; the history seed opens the channel's key with it.</summary>
    public const string MasterPassword = "benchmark master password";

    private const int Concurrency = 16;
    private const string Password = "correct horse battery staple";

    public static Task RunAsync(TimeSpan duration) => Children.WithServersAsync((redis, rabbitmq) => RunAsync(duration, redis, rabbitmq));

    private static async Task RunAsync(TimeSpan duration, RedisServer redis, RabbitMqServer rabbitmq)
    {
        using var data = new TemporaryFolder("spokes-bench");

        var apiDatabase = Path.Combine(data.Path, "spokes.db");
        var barePort = Ports.Free();
        var bare = Children.Start("Spokes.Benchmarks", ["serve-bare", barePort.ToString(), Path.Combine(data.Path, "bare.db"), apiDatabase], [], data.Path);
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
            await Children.WaitForAsync($"http://127.0.0.1:{barePort}/");
            await Children.WaitForAsync($"{apiUrl}/health");
            var (email, token) = await SignUpAsync(apiUrl);

            var ceiling = await LoadGenerator.RunAsync("bare Kestrel GET /", Concurrency, duration,
                async http => (await http.GetAsync($"http://127.0.0.1:{barePort}/")).IsSuccessStatusCode);
            var me = await LoadGenerator.RunAsync("GET /users/@me", Concurrency, duration, async http =>
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, $"{apiUrl}/users/@me");
                request.Headers.Add("X-Session-Token", token);
                using var response = await http.SendAsync(request);
                return response.IsSuccessStatusCode;
            });
            var login = await LoadGenerator.RunAsync("POST /auth/session/login", Concurrency, duration, async http =>
            {
                using var response = await http.PostAsJsonAsync($"{apiUrl}/auth/session/login", new { email, password = Password, friendly_name = "bench" });
                return response.IsSuccessStatusCode;
            });

            var messaging = await MessagingBenchmark.RunAsync(apiUrl, $"http://127.0.0.1:{barePort}", token, apiDatabase, duration);

            Console.WriteLine($"{duration.TotalSeconds:F0} s per scenario after 1 s of warm-up, {Environment.ProcessorCount} cores; each line is compared with the ceiling above it");
            Console.WriteLine($"{"scenario",-52} {"clients",7} {"req/s",10} {"p50 ms",9} {"p99 ms",9} {"failed",7} {"of ceiling",11}");
            Print(ceiling, Concurrency, ceiling);
            Print(me, Concurrency, ceiling);
            Print(login, Concurrency, ceiling);
            foreach (var (result, clients, ceilingOfIt) in messaging) Print(result, clients, ceilingOfIt);
        }
        finally
        {
            await Task.WhenAll(api.StopAsync(TimeSpan.FromSeconds(10)), bare.StopAsync(TimeSpan.FromSeconds(10)));
        }
    }

    private static void Print(LoadResult result, int clients, LoadResult ceiling) =>
        Console.WriteLine($"{result.Scenario,-52} {clients,7} {result.Throughput,10:F0} {result.P50Milliseconds,9:F2} {result.P99Milliseconds,9:F2} " +
                          $"{result.Failures,7} {(ReferenceEquals(result, ceiling) ? "ceiling" : (result.Throughput / ceiling.Throughput).ToString("P1")),11}");

    private static async Task<(string Email, string Token)> SignUpAsync(string apiUrl)
    {
        using var http = new HttpClient();
        var email = $"bench-{Guid.NewGuid():N}@example.com";
        (await http.PostAsJsonAsync($"{apiUrl}/auth/account/create", new { email, password = Password })).EnsureSuccessStatusCode();
        var login = await http.PostAsJsonAsync($"{apiUrl}/auth/session/login", new { email, password = Password });
        var token = JsonDocument.Parse(await login.Content.ReadAsStringAsync()).RootElement.GetProperty("token").GetString()!;
        using var onboard = new HttpRequestMessage(HttpMethod.Post, $"{apiUrl}/onboard/complete") { Content = JsonContent.Create(new { username = "bench" }) };
        onboard.Headers.Add("X-Session-Token", token);
        (await http.SendAsync(onboard)).EnsureSuccessStatusCode();
        return (email, token);
    }
}
