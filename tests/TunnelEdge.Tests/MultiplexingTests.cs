using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using Spokes.Contracts.Tunnels;
using Spokes.TestSupport;

namespace Spokes.TunnelEdge.Tests;

/// <summary>
/// Visitor streams multiplexed over the client's long-lived data connections (<see cref="MuxConnection"/>): the
/// protocol over a socket pair, then the edge and `spokes-tunnel` as processes. Waits are guards against a hang,
/// never what is asserted: each test asserts what completed.
/// </summary>
public sealed class MultiplexingTests
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_stalled_bulk_stream_does_not_hold_up_a_small_one_on_the_same_connection()
    {
        var testDone = new TaskCompletionSource();
        await using var pair = await MuxPair.StartAsync(async stream =>
        {
            var kind = new byte[1];
            await stream.ReadExactlyAsync(kind);
            // The bulk stream is not read again while the test runs: its sender runs out of credit.
            if (kind[0] == 'B') await testDone.Task;
            var rest = await ReadToEndAsync(stream);
            await stream.WriteAsync(rest);
            await stream.CloseWriteAsync();
        });

        await using var bulk = pair.Edge.Open();
        var bulkData = new byte[8 * 1024 * 1024];
        bulkData[0] = (byte)'B';
        var bulkWrite = bulk.WriteAsync(bulkData).AsTask();
        await using var small = pair.Edge.Open();
        await small.WriteAsync("Sping"u8.ToArray());
        await small.CloseWriteAsync();

        Assert.Equal("ping", Encoding.ASCII.GetString(await ReadToEndAsync(small).WaitAsync(Guard)));
        Assert.False(bulkWrite.IsCompleted);
        testDone.SetResult();
    }

    [Fact]
    public async Task Half_close_passes_each_way_and_the_other_direction_goes_on()
    {
        await using var pair = await MuxPair.StartAsync(async stream =>
        {
            var request = await ReadToEndAsync(stream);
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"got {request.Length} bytes"));
            await stream.CloseWriteAsync();
        });

        await using var stream = pair.Edge.Open();
        await stream.WriteAsync(new byte[100_000]);
        await stream.CloseWriteAsync();
        Assert.Equal("got 100000 bytes", Encoding.ASCII.GetString(await ReadToEndAsync(stream).WaitAsync(Guard)));
        await Assert.ThrowsAsync<IOException>(() => stream.WriteAsync(new byte[1]).AsTask());
    }

    [Fact]
    public async Task A_reset_stream_fails_alone_and_its_neighbour_goes_on()
    {
        await using var pair = await MuxPair.StartAsync(async stream =>
        {
            var kind = new byte[1];
            await stream.ReadExactlyAsync(kind);
            // 'R': the client gives up on this stream (disposed unfinished: a reset).
            if (kind[0] == 'R') return;
            await stream.WriteAsync(await ReadToEndAsync(stream));
            await stream.CloseWriteAsync();
        });

        await using var doomed = pair.Edge.Open();
        await using var survivor = pair.Edge.Open();
        await survivor.WriteAsync("E"u8.ToArray());
        await doomed.WriteAsync("R"u8.ToArray());

        await Assert.ThrowsAsync<IOException>(() => ReadToEndAsync(doomed).WaitAsync(Guard));
        await survivor.WriteAsync("still here"u8.ToArray());
        await survivor.CloseWriteAsync();
        Assert.Equal("still here", Encoding.ASCII.GetString(await ReadToEndAsync(survivor).WaitAsync(Guard)));
    }

    [Fact]
    public async Task A_dropped_connection_fails_its_streams_and_no_others()
    {
        static async Task Echo(MuxStream stream)
        {
            await stream.WriteAsync(await ReadToEndAsync(stream));
            await stream.CloseWriteAsync();
        }
        await using var dropped = await MuxPair.StartAsync(Echo);
        await using var kept = await MuxPair.StartAsync(Echo);
        await using var lost = dropped.Edge.Open();
        await using var alive = kept.Edge.Open();
        await lost.WriteAsync("a"u8.ToArray());
        await alive.WriteAsync("b"u8.ToArray());

        dropped.BreakClientSide();

        await Assert.ThrowsAsync<IOException>(() => ReadToEndAsync(lost).WaitAsync(Guard));
        await dropped.Edge.Completion.WaitAsync(Guard);
        Assert.Throws<IOException>(() => dropped.Edge.Open());
        await alive.CloseWriteAsync();
        Assert.Equal("b", Encoding.ASCII.GetString(await ReadToEndAsync(alive).WaitAsync(Guard)));
    }

    [Fact]
    public async Task Visitors_share_the_pools_connections_instead_of_a_handshake_each()
    {
        await using var local = await LocalServices.StartAsync();
        await using var edge = await EdgeHarness.StartAsync(new Dictionary<string, object>
        {
            ["tunOptions"] = new { maxPoolSize = 4, idlePoolSize = 2, maxPorts = 3, maxConnections = 64 },
        });
        var port = await StartEchoClientAsync(edge, "shared", local);

        var visitors = new List<Socket>();
        try
        {
            for (var i = 0; i < 40; i++) visitors.Add(await VisitAsync(port));
            // The control connection and at most maxPoolSize data connections, however many visitors are on.
            Assert.InRange(SocketTable.EstablishedTo(edge.TunnelPort), 2, 1 + 4);
        }
        finally
        {
            foreach (var visitor in visitors) visitor.Dispose();
        }
    }

    [Fact]
    public async Task A_download_its_visitor_stopped_reading_does_not_hold_up_small_requests_on_one_connection()
    {
        await using var local = await LocalServices.StartAsync();
        await using var edge = await EdgeHarness.StartAsync(new Dictionary<string, object>
        {
            // One data connection: every visitor's stream shares it.
            ["tunOptions"] = new { maxPoolSize = 1, idlePoolSize = 1, maxPorts = 3, maxConnections = 64 },
        });
        var host = $"bulk.{EdgeHarness.Domain}";
        await edge.StartClientAsync("bulk", "bulk", async client =>
            (await edge.TunnelAsync(client, "tunnel", "http", "add", "--domain", host, "--http", local.HttpPort.ToString())).AssertSuccess());
        using var http = new HttpClient { Timeout = Guard };

        using var bulkRequest = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{edge.HttpPort}/bytes/{1L << 40}");
        bulkRequest.Headers.Host = host;
        using var bulk = await http.SendAsync(bulkRequest, HttpCompletionOption.ResponseHeadersRead);
        await using var stalled = await bulk.Content.ReadAsStreamAsync();
        await stalled.ReadExactlyAsync(new byte[1024]);

        var small = Enumerable.Range(0, 20).Select(async _ =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{edge.HttpPort}/");
            request.Headers.Host = host;
            using var response = await http.SendAsync(request);
            return await response.Content.ReadAsStringAsync();
        });
        Assert.All(await Task.WhenAll(small), answer => Assert.Equal($"hello from {host}", answer));
        Assert.Equal(2, SocketTable.EstablishedTo(edge.TunnelPort));
    }

    [Fact]
    public async Task A_dropped_data_connection_fails_only_its_visitors_and_the_pool_recovers()
    {
        await using var local = await LocalServices.StartAsync();
        await using var edge = await EdgeHarness.StartAsync(new Dictionary<string, object>
        {
            ["tunOptions"] = new { maxPoolSize = 2, idlePoolSize = 2, maxPorts = 3, maxConnections = 64 },
        });
        // The client reaches the edge through a relay of this test's, which can cut one of its connections.
        await using var relay = CuttableRelay.Start(edge.TunnelPort);
        var port = await StartEchoClientAsync(edge, "cut", local, $"127.0.0.1:{relay.Port}");
        await relay.WaitForConnectionsAsync(3, Guard);

        using var first = await VisitAsync(port);
        using var second = await VisitAsync(port);
        var carrying = await relay.ConnectionCarryingAsync(async () =>
        {
            await first.SendAsync(new byte[] { 1 });
            Assert.Equal(1, await first.ReceiveAsync(new byte[1]));
        });

        carrying.Cut();

        // The first visitor's stream was on the cut connection: it ends. The second's was on the other one.
        Assert.Equal(0, await ReceiveOrZeroAsync(first).WaitAsync(Guard));
        await second.SendAsync(new byte[] { 2 });
        var echoed = new byte[1];
        Assert.Equal(1, await second.ReceiveAsync(echoed).WaitAsync(Guard));
        Assert.Equal(2, echoed[0]);
        // The edge asked the client for a replacement: the pool is back at its size, and new visitors are served.
        await relay.WaitForConnectionsAsync(3, Guard);
        using var third = await VisitAsync(port);
    }

    [Fact]
    public async Task A_websocket_works_through_the_tunnel()
    {
        await using var local = await LocalServices.StartAsync();
        await using var edge = await EdgeHarness.StartAsync();
        var host = $"socket.{EdgeHarness.Domain}";
        await edge.StartClientAsync("socket", "socket", async client =>
            (await edge.TunnelAsync(client, "tunnel", "http", "add", "--domain", host, "--http", local.HttpPort.ToString())).AssertSuccess());

        using var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(IPAddress.Loopback, edge.HttpPort, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        using var invoker = new HttpMessageInvoker(handler);
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri($"ws://{host}/ws"), invoker, CancellationToken.None).WaitAsync(Guard);
        var buffer = new byte[1024];
        foreach (var text in new[] { "first", "second" })
        {
            await socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);
            var received = await socket.ReceiveAsync(buffer, CancellationToken.None).WaitAsync(Guard);
            Assert.Equal($"echo {text}", Encoding.UTF8.GetString(buffer, 0, received.Count));
        }
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None).WaitAsync(Guard);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, socket.CloseStatus);
    }

    /// <summary>Starts a client whose allocated port goes to the echo server; returns the port.</summary>
    private static async Task<int> StartEchoClientAsync(EdgeHarness edge, string name, LocalServices local, string? through = null)
    {
        var port = 0;
        await edge.StartClientAsync(name, name, async client =>
        {
            port = int.Parse((await edge.TunnelAsync(client, "tunnel", "tcp", "allocate")).AssertSuccess().Output.Split(' ')[1]);
            (await edge.TunnelAsync(client, "tunnel", "tcp", "forward", "--port", port.ToString(), "--dstport", local.EchoPort.ToString())).AssertSuccess();
            if (through is not null)
            {
                var file = edge.ClientConfig(client);
                await File.WriteAllTextAsync(file, (await File.ReadAllTextAsync(file)).Replace($"127.0.0.1:{edge.TunnelPort}", through));
            }
        });
        return port;
    }

    /// <summary>A visitor connection through the tunnel's port that echoed one byte, left open.</summary>
    private static async Task<Socket> VisitAsync(int port)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, port);
        await socket.SendAsync(new byte[] { 42 });
        var echoed = new byte[1];
        Assert.Equal(1, await socket.ReceiveAsync(echoed).WaitAsync(Guard));
        Assert.Equal(42, echoed[0]);
        return socket;
    }

    private static async Task<int> ReceiveOrZeroAsync(Socket socket)
    {
        try
        {
            return await socket.ReceiveAsync(new byte[1]);
        }
        catch (SocketException)
        {
            return 0;
        }
    }

    private static async Task<byte[]> ReadToEndAsync(Stream stream)
    {
        var all = new MemoryStream();
        await stream.CopyToAsync(all);
        return all.ToArray();
    }

    /// <summary>Both ends of a multiplexed connection over a loopback socket pair: the edge's side opens streams, the client's side runs <c>accept</c>.</summary>
    private sealed class MuxPair : IAsyncDisposable
    {
        private readonly Socket _clientSocket;

        private MuxPair(MuxConnection edge, MuxConnection client, Socket clientSocket)
        {
            Edge = edge;
            Client = client;
            _clientSocket = clientSocket;
        }

        public MuxConnection Edge { get; }

        public MuxConnection Client { get; }

        public static async Task<MuxPair> StartAsync(Func<MuxStream, Task> accept)
        {
            using var listener = new Socket(SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            listener.Listen(1);
            var clientSocket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            var accepting = listener.AcceptAsync();
            await clientSocket.ConnectAsync(listener.LocalEndPoint!);
            var edgeSocket = await accepting;
            return new MuxPair(new MuxConnection(new NetworkStream(edgeSocket, ownsSocket: true), accept: null),
                new MuxConnection(new NetworkStream(clientSocket, ownsSocket: true), accept), clientSocket);
        }

        /// <summary>The client's socket is reset, as a network failure would leave it.</summary>
        public void BreakClientSide()
        {
            _clientSocket.LingerState = new LingerOption(true, 0);
            _clientSocket.Close();
        }

        public async ValueTask DisposeAsync()
        {
            await Client.DisposeAsync();
            await Edge.DisposeAsync();
        }
    }

    /// <summary>A TCP relay in front of the edge's tunnel port that counts each connection's bytes and can cut one.</summary>
    private sealed class CuttableRelay : IAsyncDisposable
    {
        private readonly Socket _listener;
        private readonly int _target;
        private readonly ConcurrentDictionary<Relayed, bool> _connections = new();
        private readonly Task _accepting;

        private CuttableRelay(Socket listener, int target)
        {
            _listener = listener;
            _target = target;
            _accepting = AcceptAsync();
        }

        public int Port => ((IPEndPoint)_listener.LocalEndPoint!).Port;

        public static CuttableRelay Start(int target)
        {
            var listener = new Socket(SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            listener.Listen(64);
            return new CuttableRelay(listener, target);
        }

        public async Task WaitForConnectionsAsync(int count, TimeSpan timeout)
        {
            using var limit = new CancellationTokenSource(timeout);
            while (_connections.Keys.Count(c => !c.IsCut) != count) await Task.Delay(50, limit.Token);
        }

        /// <summary>
        /// The one connection whose byte count moves each time <paramref name="traffic"/> runs. Another connection's
        /// heartbeat may fall in one round, and a busy machine makes that likelier, but not into every round.
        /// </summary>
        public async Task<Relayed> ConnectionCarryingAsync(Func<Task> traffic)
        {
            using var limit = new CancellationTokenSource(Guard);
            HashSet<Relayed>? candidates = null;
            while (true)
            {
                var before = _connections.Keys.ToDictionary(c => c, c => c.Bytes);
                await traffic().WaitAsync(limit.Token);
                var moved = _connections.Keys.Where(c => c.Bytes != before.GetValueOrDefault(c)).ToHashSet();
                candidates = candidates is null ? moved : [.. candidates.Intersect(moved)];
                if (candidates.Count == 1) return candidates.Single();
                if (candidates.Count == 0) candidates = null;
            }
        }

        private async Task AcceptAsync()
        {
            while (true)
            {
                Socket client;
                try
                {
                    client = await _listener.AcceptAsync();
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    return;
                }
                var edge = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                client.NoDelay = true;
                await edge.ConnectAsync(IPAddress.Loopback, _target);
                var relayed = new Relayed(client, edge);
                _connections[relayed] = true;
                _ = relayed.RunAsync();
            }
        }

        public async ValueTask DisposeAsync()
        {
            _listener.Dispose();
            await _accepting;
            foreach (var connection in _connections.Keys) connection.Cut();
        }

        public sealed class Relayed(Socket client, Socket edge)
        {
            private long _bytes;

            public long Bytes => Interlocked.Read(ref _bytes);

            public bool IsCut { get; private set; }

            public Task RunAsync() => Task.WhenAll(PumpAsync(client, edge), PumpAsync(edge, client));

            private async Task PumpAsync(Socket from, Socket to)
            {
                var buffer = new byte[65536];
                try
                {
                    int read;
                    while ((read = await from.ReceiveAsync(buffer)) > 0)
                    {
                        Interlocked.Add(ref _bytes, read);
                        await to.SendAsync(buffer.AsMemory(0, read));
                    }
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                }
                Cut();
            }

            /// <summary>Resets both sides, as a broken network path does.</summary>
            public void Cut()
            {
                IsCut = true;
                foreach (var socket in new[] { client, edge })
                {
                    try
                    {
                        socket.LingerState = new LingerOption(true, 0);
                    }
                    catch (Exception e) when (e is SocketException or ObjectDisposedException)
                    {
                    }
                    socket.Dispose();
                }
            }
        }
    }
}
