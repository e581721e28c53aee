using System.Diagnostics;
using Spokes.TestSupport;

namespace Spokes.Benchmarks;

/// <summary>
/// The suite with one and with two Api replicas (the AppHost's <c>--api-replicas</c>; both runs put the Api behind DCP's
/// proxy, so that they differ only in the number of processes), measured through the Gateway; and, with two, whether a
/// session revoked through one replica is refused by the other on the very next request. The revocation is checked at
/// each replica's own address, in both directions, so that it never depends on where the proxy sends a connection.
/// </summary>
public static class ReplicaBenchmark
{
    private static readonly int[] ClientCounts = [16, 64];

    /// <summary>Clients that keep sending the session's requests to the other replica while it is revoked.</summary>
    private const int RevocationClients = 4;

    public sealed record Revocation(string Through, string Other, string How, int NextStatus, int StartedAfter, int AcceptedAfter);

    public static async Task RunAsync(TimeSpan duration)
    {
        var runs = new Dictionary<int, List<(string Scenario, int Clients, LoadResult Result)>>();
        IReadOnlyList<Revocation> revocations = [];
        // One data folder for both runs: on an empty SQLite file two Api processes starting at once both create the
        // schema, and the second fails ('table accounts already exists'); the second run finds it made.
        using var data = new TemporaryFolder("spokes-bench-replicas");
        foreach (var replicas in new[] { 1, 2 })
        {
            await using var suite = await SuiteRun.StartAsync(data.Path, replicas);
            var gateway = $"{suite.GatewayUrl}/api";
            var session = await ApiBenchmark.SignUpAsync(gateway);
            using var http = new HttpClient();
            var channel = await MessagingBenchmark.CreateServerChannelAsync(http, gateway, session.Token, "Sends");
            (string Name, Func<HttpClient, Task<bool>> Request)[] scenarios =
            [
                ("GET /users/@me", client => ApiBenchmark.SendOkAsync(client, HttpMethod.Get, $"{gateway}/users/@me", session.Token)),
                ("POST /channels/{id}/messages", client => ApiBenchmark.SendOkAsync(client, HttpMethod.Post, $"{gateway}/channels/{channel}/messages",
                    session.Token, new { content = "hello from the benchmark" })),
            ];
            var results = runs[replicas] = [];
            foreach (var (name, request) in scenarios)
            {
                foreach (var clients in ClientCounts) results.Add((name, clients, await LoadGenerator.RunAsync(name, clients, duration, request)));
            }
            if (replicas == 2) revocations = await RevokeAcrossReplicasAsync(suite.ApiReplicas, session);
        }

        Console.WriteLine();
        Console.WriteLine($"1 vs 2 Api replicas behind the Gateway (--api-replicas 1, then 2 on the same data): {duration.TotalSeconds:F0} s per line");
        Console.WriteLine($"{"scenario, through the Gateway",-40} {"clients",7} {"1: req/s",10} {"p99 ms",9} {"failed",7} {"2: req/s",10} {"p99 ms",9} {"failed",7} {"2 / 1",7}");
        foreach (var ((name, clients, one), (_, _, two)) in runs[1].Zip(runs[2]))
        {
            Console.WriteLine($"{name,-40} {clients,7} {one.Throughput,10:F0} {one.P99Milliseconds,9:F2} {one.Failures,7} " +
                              $"{two.Throughput,10:F0} {two.P99Milliseconds,9:F2} {two.Failures,7} {two.Throughput / one.Throughput,7:F2}");
        }

        Console.WriteLine($"a session revoked through one Api replica, its requests arriving meanwhile at the other ({RevocationClients} clients):");
        foreach (var r in revocations)
        {
            Console.WriteLine($"  revoked through {r.Through} by {r.How,-26} {r.Other}'s very next request: {r.NextStatus}; " +
                              $"requests started there after the revocation answered: {r.StartedAfter}, accepted: {r.AcceptedAfter}");
        }
        Console.WriteLine($"requests accepted after the revocation: {revocations.Sum(r => r.AcceptedAfter)} (must be 0)");
    }

    /// <summary>
    /// Four rounds, alternating which replica revokes: a fresh session of the account serves requests on both replicas
    /// (so that a cache on either would hold it), then, while clients keep sending its requests to the other replica, it is
    /// revoked through the first — by another session's <c>DELETE /auth/session/{id}</c>, or by its own logout. Every
    /// request that started after the revocation's answer arrived must be refused.
    /// </summary>
    public static async Task<IReadOnlyList<Revocation>> RevokeAcrossReplicasAsync(IReadOnlyList<string> replicas, ApiSession keeper)
    {
        if (replicas.Count != 2) throw new InvalidOperationException($"Expected two Api replicas, found {replicas.Count}: {string.Join(", ", replicas)}.");
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = RevocationClients + 2 });
        var rounds = new List<Revocation>();
        for (var round = 0; round < 4; round++)
        {
            var (through, other) = (replicas[round % 2], replicas[(round + 1) % 2]);
            var byLogout = round >= 2;
            var session = await ApiBenchmark.LoginAsync(http, through, keeper.Email);
            foreach (var replica in replicas)
            {
                for (var i = 0; i < 10; i++)
                {
                    if (!await ApiBenchmark.SendOkAsync(http, HttpMethod.Get, $"{replica}/users/@me", session.Token))
                        throw new InvalidOperationException($"{replica} refused a live session.");
                }
            }

            using var stop = new CancellationTokenSource();
            var arriving = Task.WhenAll(Enumerable.Range(0, RevocationClients).Select(async _ =>
            {
                var seen = new List<(long Started, bool Ok)>();
                while (!stop.IsCancellationRequested)
                {
                    var started = Stopwatch.GetTimestamp();
                    seen.Add((started, await ApiBenchmark.SendOkAsync(http, HttpMethod.Get, $"{other}/users/@me", session.Token)));
                }
                return seen;
            }));
            await Task.Delay(200);
            using (var revoke = byLogout
                       ? await ApiBenchmark.SendAsync(http, HttpMethod.Post, $"{through}/auth/session/logout", session.Token)
                       : await ApiBenchmark.SendAsync(http, HttpMethod.Delete, $"{through}/auth/session/{session.SessionId}", keeper.Token))
            {
                revoke.EnsureSuccessStatusCode();
            }
            var revoked = Stopwatch.GetTimestamp();
            using var next = await ApiBenchmark.SendAsync(http, HttpMethod.Get, $"{other}/users/@me", session.Token);
            await Task.Delay(300);
            await stop.CancelAsync();
            var after = (await arriving).SelectMany(seen => seen).Where(r => r.Started > revoked).ToList();
            rounds.Add(new Revocation(through, other, byLogout ? "POST /auth/session/logout" : "DELETE /auth/session/{id}", (int)next.StatusCode,
                after.Count + 1, after.Count(r => r.Ok) + (next.IsSuccessStatusCode ? 1 : 0)));
        }
        return rounds;
    }
}
