using Spokes.Contracts.Tunnels;
using Spokes.Benchmarks;

// `serve-bare PORT INSERT-DB READ-DB` is the ceiling: the same Kestrel, one endpoint per comparison, nothing
// else. The benchmark starts it as a child process so that it and the Api are measured under the same conditions.
if (args is ["serve-bare", var port, var insertDatabase, var readDatabase]) return await BareKestrel.RunAsync(int.Parse(port), insertDatabase, readDatabase);
// `serve-bare-ws PORT REDIS` is the fan-out ceiling for the Events benchmark.
if (args is ["serve-bare-ws", var wsPort, var redis]) return await BareBroadcast.RunAsync(int.Parse(wsPort), redis);

// `serve-bare-files PORT FOLDER` is the upload ceiling for the Autumn benchmark.
if (args is ["serve-bare-files", var filesPort, var folder]) return await AutumnBenchmark.ServeBareAsync(int.Parse(filesPort), folder);

// `autumn`: uploads against the bare ceiling, previews of a 12 MP JPEG, and Autumn's peak memory.
if (args is ["autumn"])
{
    await AutumnBenchmark.RunAsync();
    return 0;
}

// `events`: one Events node's fan-out and idle memory.
if (args is ["events"])
{
    await EventsBenchmark.RunAsync();
    return 0;
}

// `embed [SECONDS]`: January's /embed on a cache miss and hit next to a bare fetch, and its memory under 20 MB bodies.
if (args is ["embed", ..])
{
    await EmbedBenchmark.RunAsync(TimeSpan.FromSeconds(args is [_, var embedSeconds] ? double.Parse(embedSeconds, System.Globalization.CultureInfo.InvariantCulture) : 5));
    return 0;
}

// `push`: Pushd's Web Push deliveries per second to 1 000 recipients, against bare POSTs of the same size.
if (args is ["push"])
{
    await PushBenchmark.RunAsync();
    return 0;
}

// `tunnel transports`: the multiplexed data plane against a data connection per visitor, TLS, and the open-loop test three times.
if (args is ["tunnel", "transports"])
{
    SocketCompletions.RunInline();
    await TunnelBenchmark.RunTransportsAsync();
    return 0;
}

// `tunnel [memory]`: TCP and HTTP through the tunnel edge against direct, and the edge's memory with 100 idle tunnels.
if (args is ["tunnel", ..])
{
    // The sender, the sink and the load generator stay as lean as iperf3 and vegeta: the relays get the CPU.
    SocketCompletions.RunInline();
    await TunnelBenchmark.RunAsync(memoryOnly: args is [_, "memory"]);
    return 0;
}

// `encryption [SECONDS]`: message sends, history pages and search with encryption at rest on, next to off.
if (args is ["encryption", ..])
{
    await EncryptionBenchmark.RunAsync(TimeSpan.FromSeconds(args is [_, var encryptionSeconds] ? double.Parse(encryptionSeconds, System.Globalization.CultureInfo.InvariantCulture) : 3));
    return 0;
}

// The Api (ApiBenchmark): every scenario at 1, 16 and 64 clients next to its ceiling. Build in Release first, the
// AppHost and the services with it: `dotnet build tests/Benchmarks -c Release`.
//   `[SECONDS]` (default 5): the Api alone on SQLite with Redis and RabbitMQ, as the earlier notes measured it;
//       23 lines of 1 + SECONDS s, about 3 minutes at the default.
//   `suite [SECONDS]` (default 3): the Api as the real AppHost runs it, at its own endpoint and through the Gateway
//       (36 lines), then one and two Api replicas behind the Gateway (8 lines) and the revocation check across them;
//       three suite starts, about 6 minutes at the default on a quiet 2-core machine.
//   `suite replicas [SECONDS]` (default 3): only the replica part (two suite starts).
// The load average is printed at the start and the end: the machine is shared, and the ratios mean more than the req/s.
Console.WriteLine($"load average at start: {LoadGenerator.LoadAverage()}");
if (args is ["suite", "replicas", ..])
{
    await ReplicaBenchmark.RunAsync(TimeSpan.FromSeconds(args is [_, _, var replicaSeconds] ? double.Parse(replicaSeconds, System.Globalization.CultureInfo.InvariantCulture) : 3));
}
else if (args is ["suite", ..])
{
    await ApiBenchmark.RunSuiteAsync(TimeSpan.FromSeconds(args is [_, var suiteSeconds] ? double.Parse(suiteSeconds, System.Globalization.CultureInfo.InvariantCulture) : 3));
}
else
{
    await ApiBenchmark.RunStandaloneAsync(TimeSpan.FromSeconds(args is [var seconds] ? double.Parse(seconds, System.Globalization.CultureInfo.InvariantCulture) : 5));
}
Console.WriteLine($"load average at end: {LoadGenerator.LoadAverage()}");
return 0;
