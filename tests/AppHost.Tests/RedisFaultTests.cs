using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Spokes.TestSupport;

namespace Spokes.AppHost.Tests;

/// <summary>
/// Redis stalls (SIGSTOP) and then dies (SIGKILL) under a steady load of message sends through the Gateway: every
/// send is answered in bounded time, every message that was accepted is kept, and the AppHost starts Redis again.
/// </summary>
[Collection(SuiteCollection.Name)]
public sealed class RedisFaultTests
{
    private const int SigKill = 9, SigCont = 18, SigStop = 19;
    private const int Senders = 5;
    // Within Stoat's messaging limit (10 per 10 s per channel and user), so every refusal is a fault's.
    private static readonly TimeSpan SendInterval = TimeSpan.FromMilliseconds(1200);
    private static readonly TimeSpan Stall = TimeSpan.FromSeconds(10);

    private sealed record Send(int Sender, int Number, HttpStatusCode Status, TimeSpan Took, string Phase);

    [Fact]
    public async Task Sends_during_a_redis_stall_and_crash_are_answered_in_bounded_time_none_is_lost_and_redis_comes_back()
    {
        using var data = new TemporaryFolder("spokes-fault");
        await using var suite = await TestSuite.StartAsync(data.Path);
        var users = await Task.WhenAll(Enumerable.Range(0, Senders).Select(i => SignUpWithChannelAsync(suite.Gateway, $"sender{i}")));

        var phase = "before";
        var sends = new ConcurrentBag<Send>();
        using var stop = new CancellationTokenSource();
        var load = Task.WhenAll(users.Select((user, sender) => Task.Run(async () =>
        {
            for (var number = 0; !stop.IsCancellationRequested; number++)
            {
                var clock = Stopwatch.StartNew();
                using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/channels/{user.Channel}/messages")
                {
                    Content = JsonContent.Create(new { content = $"{sender}:{number}" }),
                };
                request.Headers.Add("X-Session-Token", user.Token);
                using var response = await suite.Gateway.SendAsync(request);
                sends.Add(new Send(sender, number, response.StatusCode, clock.Elapsed, phase));
                await Task.Delay(SendInterval);
            }
        })));

        var redisBefore = RedisProcessId(suite);
        await Task.Delay(TimeSpan.FromSeconds(3));
        phase = "stall";
        ManagedProcess.Signal(redisBefore, SigStop);
        await Task.Delay(Stall);
        ManagedProcess.Signal(redisBefore, SigCont);
        phase = "crash";
        ManagedProcess.Signal(redisBefore, SigKill);
        var clock = Stopwatch.StartNew();
        while (RedisProcessIdOrNull(suite) is not { } again || again == redisBefore)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), "the AppHost did not start Redis again within 60 s");
            await Task.Delay(200);
        }
        await suite.App.ResourceNotifications.WaitForResourceHealthyAsync("redis").WaitAsync(TimeSpan.FromSeconds(60));
        phase = "after";
        await Task.Delay(TimeSpan.FromSeconds(4));
        await stop.CancelAsync();
        await load;

        foreach (var group in sends.GroupBy(s => s.Phase))
        {
            var took = group.Select(s => s.Took.TotalMilliseconds).Order().ToList();
            Console.WriteLine($"{group.Key}: {took.Count} sends, {group.Count(s => s.Status == HttpStatusCode.OK)} accepted, " +
                              $"p50 {took[took.Count / 2]:F0} ms, p99 {took[(int)Math.Ceiling(took.Count * 0.99) - 1]:F0} ms, max {took[^1]:F0} ms");
        }
        // Bounded: no send waits out the stall (StackExchange.Redis's own default would wait 5 s per command).
        Assert.All(sends, s => Assert.True(s.Took < Stall / 2, $"a {s.Phase} send took {s.Took.TotalSeconds:F1} s"));
        // Sending needs no Redis: rate limits let messages through and events are best effort.
        Assert.All(sends, s => Assert.Equal(HttpStatusCode.OK, s.Status));
        Assert.Contains(sends, s => s.Phase == "stall");
        Assert.Contains(sends, s => s.Phase == "after");

        // Nothing accepted is lost.
        foreach (var (user, sender) in users.Select((u, i) => (u, i)))
        {
            using var history = new HttpRequestMessage(HttpMethod.Get, $"/api/channels/{user.Channel}/messages?limit=100");
            history.Headers.Add("X-Session-Token", user.Token);
            var stored = JsonDocument.Parse(await (await suite.Gateway.SendAsync(history)).Content.ReadAsStringAsync()).RootElement
                .EnumerateArray().Select(m => m.TryGetProperty("content", out var content) ? content.GetString() : null).ToHashSet();
            Assert.All(sends.Where(s => s.Sender == sender), s => Assert.Contains($"{sender}:{s.Number}", stored));
        }
    }

    private static int RedisProcessId(TestSuite suite) =>
        RedisProcessIdOrNull(suite) ?? throw new InvalidOperationException("redis-server has no process id");

    private static int? RedisProcessIdOrNull(TestSuite suite) =>
        suite.App.ResourceNotifications.TryGetCurrentState("redis", out var redis)
        && redis.Snapshot.State?.Text == "Running"
        && redis.Snapshot.Properties.FirstOrDefault(p => p.Name == "executable.pid")?.Value is int pid
            ? pid
            : null;

    private static async Task<(string Token, string Channel)> SignUpWithChannelAsync(HttpClient gateway, string name)
    {
        var email = $"{name}-{Guid.NewGuid():N}@example.com";
        const string password = "correct horse battery staple";
        (await gateway.PostAsJsonAsync("/api/auth/account/create", new { email, password })).EnsureSuccessStatusCode();
        using var login = await gateway.PostAsJsonAsync("/api/auth/session/login", new { email, password });
        Assert.True(login.IsSuccessStatusCode, $"login: {(int)login.StatusCode} {await login.Content.ReadAsStringAsync()}");
        var session = await login.Content.ReadFromJsonAsync<JsonElement>();
        var token = session.GetProperty("token").GetString()!;
        async Task<JsonElement> PostAsync(string path, object body)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
            request.Headers.Add("X-Session-Token", token);
            using var response = await gateway.SendAsync(request);
            response.EnsureSuccessStatusCode();
            return response.Content.Headers.ContentLength == 0 ? default : await response.Content.ReadFromJsonAsync<JsonElement>();
        }
        await PostAsync("/api/onboard/complete", new { username = name });
        var server = await PostAsync("/api/servers/create", new { name = $"{name}'s" });
        return (token, server.GetProperty("channels")[0].GetProperty("_id").GetString()!);
    }
}
