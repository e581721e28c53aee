using Spokes.Contracts.Tunnels;
using Spokes.Benchmarks;

// `serve-bare PORT INSERT-DB READ-DB` is the ceiling: the same Kestrel, one endpoint per comparison, nothing
// else. The benchmark starts it as a child process so that it and the Api are measured under the same conditions.
if (args is ["serve-bare", var port, var insertDatabase, var readDatabase]) return await BareKestrel.RunAsync(int.Parse(port), insertDatabase, readDatabase);
// `serve-bare-ws PORT REDIS` is the fan-out ceiling for the Events benchmark.
if (args is ["serve-bare-ws", var wsPort, var redis]) return await BareBroadcast.RunAsync(int.Parse(wsPort), redis);

// `events`: one Events node's fan-out and idle memory.
if (args is ["events"])
{
    await EventsBenchmark.RunAsync();
    return 0;
}

// `push`: Pushd's Web Push deliveries per second to 1 000 recipients, against bare POSTs of the same size.
if (args is ["push"])
{
    await PushBenchmark.RunAsync();
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

var duration = TimeSpan.FromSeconds(args is [var seconds, ..] ? double.Parse(seconds, System.Globalization.CultureInfo.InvariantCulture) : 5);
await ApiBenchmark.RunAsync(duration);
return 0;
