using System.Diagnostics;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Spokes.TestSupport;
using StackExchange.Redis;

namespace Spokes.Benchmarks;

/// <summary>
/// One Events node (its own process, with the Api, Redis and RabbitMQ it runs with) against a bare Kestrel
/// WebSocket broadcast fed by the same Redis (<see cref="BareBroadcast"/>), both driven from this process:
/// (a) bursts of Stoat <c>Message</c> events fanned out to 1 000 sockets — deliveries per second and
/// publish-to-receive latency, as a ratio to the ceiling; (b) the node's resident memory per idle
/// authenticated socket with 10 000 of them.
/// </summary>
public static class EventsBenchmark
{
    private const int FanoutSockets = 1_000;
    private const int IdleSockets = 10_000;
    private const int MessagesPerBurst = 50;
    private const int Bursts = 6;
    private const string Password = "correct horse battery staple";
    private const string InternalKey = "benchmark-internal-key";
    private static readonly byte[] Marker = "bench:"u8.ToArray();

    public static Task RunAsync() => Children.WithServersAsync(RunAsync);

    private static async Task RunAsync(RedisServer redis, RabbitMqServer rabbitmq)
    {
        using var data = new TemporaryFolder("spokes-bench-events");
        var (apiPort, grpcPort, eventsPort, barePort) = (Ports.Free(), Ports.Free(), Ports.Free(), Ports.Free());

        var api = Children.Start("Spokes.Api", [], new Dictionary<string, string>
        {
            ["Kestrel__Endpoints__http__Url"] = $"http://127.0.0.1:{apiPort}",
            ["Kestrel__Endpoints__grpc__Url"] = $"http://127.0.0.1:{grpcPort}",
            ["Internal__Key"] = InternalKey,
            ["Kestrel__Endpoints__grpc__Protocols"] = "Http2",
            ["ConnectionStrings__redis"] = redis.ConnectionString,
            ["ConnectionStrings__rabbitmq"] = rabbitmq.ConnectionString,
            ["ConnectionStrings__mongo"] = $"Data Source={Path.Combine(data.Path, "spokes.db")}",
            ["Api__PublicUrl"] = "http://localhost",
            ["Api__VapidPublicKey"] = "BBenchmark",
            ["Api__RateLimit__Enabled"] = "false",
            ["Api__MasterPassword"] = "benchmark master password",
            ["Logging__LogLevel__Default"] = "Warning",
        }, data.Path);
        var events = Children.Start("Spokes.Events", [], new Dictionary<string, string>
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{eventsPort}",
            ["ConnectionStrings__redis"] = redis.ConnectionString,
            ["services__api__grpc__0"] = $"http://127.0.0.1:{grpcPort}",
            ["Internal__Key"] = InternalKey,
            // The idle sockets of (b) send nothing while 10 000 of them connect.
            ["Events__IdleTimeout"] = "00:30:00",
            ["Logging__LogLevel__Default"] = "Warning",
        }, data.Path);
        var bare = Children.Start("Spokes.Benchmarks", ["serve-bare-ws", barePort.ToString(), redis.ConnectionString], [], data.Path);
        try
        {
            var apiUrl = $"http://127.0.0.1:{apiPort}";
            await Children.WaitForAsync($"{apiUrl}/health");
            await Children.WaitForAsync($"http://127.0.0.1:{eventsPort}/health");
            var (token, channelId) = await SignUpWithChannelAsync(apiUrl);
            await using var publisher = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);

            var eventsUrl = $"ws://127.0.0.1:{eventsPort}/?version=1&format=json&token={token}";
            var spokes = await FanoutAsync("Spokes Events: Message to 1 000 sockets", publisher, channelId, await ConnectAsync(eventsUrl, FanoutSockets, awaitReady: true));
            var ceiling = await FanoutAsync("bare Kestrel WebSocket broadcast", publisher, BareBroadcast.Topic, await ConnectAsync($"ws://127.0.0.1:{barePort}/", FanoutSockets, awaitReady: false));

            var before = ProcessMemory.Of(events.Id).Resident;
            var idle = await ConnectAsync(eventsUrl, IdleSockets, awaitReady: true, keep: false);
            await Task.Delay(TimeSpan.FromSeconds(5));
            var after = ProcessMemory.Of(events.Id).Resident;
            await CloseAllAsync(idle);

            Console.WriteLine($"{Environment.ProcessorCount} cores; {Bursts} bursts of {MessagesPerBurst} events (~{MessageEvent(channelId, 0).Length} bytes each), all sockets in this process");
            Console.WriteLine($"{"scenario",-44} {"deliveries/s",13} {"p50 ms",9} {"p99 ms",9} {"lost",6} {"of ceiling",11}");
            Print(ceiling, ceiling);
            Print(spokes, ceiling);
            Console.WriteLine($"memory per idle authenticated socket, {IdleSockets:N0} sockets: {(after - before) / (double)IdleSockets / 1024:F1} KB " +
                              $"(resident {before / 1048576.0:F0} MB before, {after / 1048576.0:F0} MB after)");
        }
        finally
        {
            await Task.WhenAll(api.StopAsync(TimeSpan.FromSeconds(10)), events.StopAsync(TimeSpan.FromSeconds(10)), bare.StopAsync(TimeSpan.FromSeconds(10)));
        }
    }

    private sealed record FanoutResult(string Scenario, int Delivered, int Expected, TimeSpan Elapsed, double P50, double P99)
    {
        public double Throughput => Delivered / Elapsed.TotalSeconds;
    }

    private static void Print(FanoutResult result, FanoutResult ceiling) =>
        Console.WriteLine($"{result.Scenario,-44} {result.Throughput,13:F0} {result.P50,9:F2} {result.P99,9:F2} {result.Expected - result.Delivered,6} " +
                          $"{(ReferenceEquals(result, ceiling) ? "ceiling" : (result.Throughput / ceiling.Throughput).ToString("P1")),11}");

    /// <summary>
    /// Bursts of events published to Redis; every socket reads until it has them all. Each delivery's latency is
    /// from its publish (stamped in the event) to its arrival here.
    /// </summary>
    private static async Task<FanoutResult> FanoutAsync(string scenario, ConnectionMultiplexer publisher, string topic, List<ClientWebSocket> sockets)
    {
        var latencies = new List<double>();
        var delivered = 0;
        var elapsed = TimeSpan.Zero;
        // One burst to warm up, then the measured ones.
        for (var burst = -1; burst < Bursts; burst++)
        {
            var published = new long[MessagesPerBurst];
            var readers = sockets.Select(socket => ReadBurstAsync(socket, published)).ToList();
            var started = Stopwatch.GetTimestamp();
            for (var i = 0; i < MessagesPerBurst; i++)
            {
                published[i] = Stopwatch.GetTimestamp();
                await publisher.GetSubscriber().PublishAsync(RedisChannel.Literal(topic), MessageEvent(topic, i));
            }
            var results = await Task.WhenAll(readers);
            if (burst < 0) continue;
            elapsed += Stopwatch.GetElapsedTime(started);
            foreach (var arrivals in results)
            {
                delivered += arrivals.Count;
                latencies.AddRange(arrivals);
            }
        }
        await CloseAllAsync(sockets);
        latencies.Sort();
        return new(scenario, delivered, Bursts * MessagesPerBurst * sockets.Count, elapsed,
            Percentile(latencies, 0.50), Percentile(latencies, 0.99));
    }

    private static async Task<List<double>> ReadBurstAsync(ClientWebSocket socket, long[] published)
    {
        var arrivals = new List<double>(published.Length);
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            while (arrivals.Count < published.Length)
            {
                var length = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    result = await socket.ReceiveAsync(buffer.AsMemory(length), timeout.Token);
                    length += result.Count;
                    if (length == buffer.Length) Array.Resize(ref buffer, buffer.Length * 2);
                } while (!result.EndOfMessage);
                var at = Stopwatch.GetTimestamp();
                if (Sequence(buffer.AsSpan(0, length)) is { } sequence) arrivals.Add(Stopwatch.GetElapsedTime(published[sequence], at).TotalMilliseconds);
            }
        }
        catch (OperationCanceledException)
        {
            // Counted as lost.
        }
        return arrivals;
    }

    /// <summary>The sequence number stamped into the content as <c>bench:N</c>; other events (presence) are skipped.</summary>
    private static int? Sequence(ReadOnlySpan<byte> frame)
    {
        var at = frame.IndexOf(Marker);
        if (at < 0) return null;
        var value = 0;
        foreach (var digit in frame[(at + Marker.Length)..])
        {
            if (digit is < (byte)'0' or > (byte)'9') break;
            value = value * 10 + digit - '0';
        }
        return value;
    }

    /// <summary>A Stoat <c>Message</c> event shaped like the Api's, with its author's user and member.</summary>
    private static string MessageEvent(string channel, int sequence) => JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["type"] = "Message",
        ["_id"] = Ulid.NewUlid().ToString(),
        ["channel"] = channel,
        ["author"] = "01KBENCHAUTHORBENCHAUTHOR0",
        ["content"] = $"bench:{sequence} the quick brown fox jumps over the lazy dog, as benchmarks always say",
        ["user"] = new Dictionary<string, object>
        {
            ["_id"] = "01KBENCHAUTHORBENCHAUTHOR0", ["username"] = "bench", ["discriminator"] = "0001", ["relationship"] = "None", ["online"] = true,
        },
        ["member"] = new Dictionary<string, object>
        {
            ["_id"] = new Dictionary<string, string> { ["server"] = "01KBENCHSERVERBENCHSERVER0", ["user"] = "01KBENCHAUTHORBENCHAUTHOR0" },
            ["joined_at"] = "2026-11-22T12:00:00Z",
        },
    });

    private static double Percentile(List<double> sorted, double quantile) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)(quantile * sorted.Count))];

    /// <summary>Opens <paramref name="count"/> sockets, 64 at a time; with <paramref name="awaitReady"/>, each after its Ready.</summary>
    private static async Task<List<ClientWebSocket>> ConnectAsync(string url, int count, bool awaitReady, bool keep = true)
    {
        var sockets = new ClientWebSocket[count];
        using var gate = new SemaphoreSlim(64);
        await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
        {
            await gate.WaitAsync();
            try
            {
                var socket = new ClientWebSocket();
                await socket.ConnectAsync(new Uri(url), CancellationToken.None);
                if (awaitReady)
                {
                    var buffer = new byte[64 * 1024];
                    while (true)
                    {
                        var length = 0;
                        ValueWebSocketReceiveResult result;
                        do
                        {
                            result = await socket.ReceiveAsync(buffer.AsMemory(length), CancellationToken.None);
                            length += result.Count;
                        } while (!result.EndOfMessage);
                        if (Encoding.UTF8.GetString(buffer, 0, Math.Min(length, 32)).Contains("\"Ready\"")) break;
                        if (result.MessageType == WebSocketMessageType.Close) throw new InvalidOperationException("refused: " + socket.CloseStatusDescription);
                    }
                }
                sockets[i] = socket;
            }
            finally
            {
                gate.Release();
            }
        }));
        return [.. sockets];
    }

    private static async Task CloseAllAsync(List<ClientWebSocket> sockets)
    {
        await Task.WhenAll(sockets.Select(async socket =>
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException)
            {
            }
            socket.Dispose();
        }));
    }

    private static async Task<(string Token, string ChannelId)> SignUpWithChannelAsync(string apiUrl)
    {
        using var http = new HttpClient();
        var email = $"bench-{Guid.NewGuid():N}@example.com";
        (await http.PostAsJsonAsync($"{apiUrl}/auth/account/create", new { email, password = Password })).EnsureSuccessStatusCode();
        var login = await http.PostAsJsonAsync($"{apiUrl}/auth/session/login", new { email, password = Password });
        var token = JsonDocument.Parse(await login.Content.ReadAsStringAsync()).RootElement.GetProperty("token").GetString()!;
        http.DefaultRequestHeaders.Add("X-Session-Token", token);
        (await http.PostAsJsonAsync($"{apiUrl}/onboard/complete", new { username = "bench" })).EnsureSuccessStatusCode();
        var server = await http.PostAsJsonAsync($"{apiUrl}/servers/create", new { name = "Bench" });
        var channel = JsonDocument.Parse(await server.Content.ReadAsStringAsync()).RootElement.GetProperty("channels")[0].GetProperty("_id").GetString()!;
        return (token, channel);
    }
}
