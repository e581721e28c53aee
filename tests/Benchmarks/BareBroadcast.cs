using System.Collections.Concurrent;
using System.Net;
using System.Net.WebSockets;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Spokes.Benchmarks;

/// <summary>
/// The fan-out ceiling: Kestrel WebSockets and one Redis subscription, each published payload copied to every
/// socket through a queue and a send loop per socket — no authentication, topics, state or encoding.
/// </summary>
public static class BareBroadcast
{
    public const string Topic = "bench-broadcast";

    public static async Task<int> RunAsync(int port, string redisConnection)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        app.UseWebSockets();
        var sockets = new ConcurrentDictionary<Channel<byte[]>, byte>();

        await using var redis = await ConnectionMultiplexer.ConnectAsync(redisConnection);
        var queue = await redis.GetSubscriber().SubscribeAsync(RedisChannel.Literal(Topic));
        queue.OnMessage(message =>
        {
            var payload = (byte[])message.Message!;
            foreach (var outbox in sockets.Keys) outbox.Writer.TryWrite(payload);
        });

        app.Map("/", async (HttpContext context) =>
        {
            if (!context.WebSockets.IsWebSocketRequest) return;
            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            var outbox = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
            sockets.TryAdd(outbox, 0);
            var sending = Task.Run(async () =>
            {
                await foreach (var payload in outbox.Reader.ReadAllAsync())
                    await socket.SendAsync(payload, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
            });
            var buffer = new byte[256];
            try
            {
                while ((await socket.ReceiveAsync(buffer, context.RequestAborted)).MessageType != WebSocketMessageType.Close)
                {
                }
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException)
            {
            }
            sockets.TryRemove(outbox, out _);
            outbox.Writer.TryComplete();
            await sending.ContinueWith(_ => { });
        });
        await app.RunAsync();
        return 0;
    }
}
