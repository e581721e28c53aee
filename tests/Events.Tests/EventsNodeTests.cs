using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using StackExchange.Redis;

namespace Spokes.Events.Tests;

[Collection(EventsClusterCollection.Name)]
public sealed class EventsNodeTests(EventsCluster cluster)
{
    [Fact]
    public async Task Sockets_on_different_nodes_see_each_others_messages_typing_and_presence()
    {
        var alice = await cluster.SignUpAsync("alice");
        var bob = await cluster.SignUpAsync("bob");
        var carol = await cluster.SignUpAsync("carol");
        var (serverId, channelId) = await cluster.ServerWithAsync(alice.Token, bob.Token, carol.Token);

        var (onA, _) = await StoatSocket.ReadyAsync(cluster.NodeAUrl, alice.Token);
        var (onB, _) = await StoatSocket.ReadyAsync(cluster.NodeBUrl, bob.Token);
        await using var aliceSocket = onA;
        await using var bobSocket = onB;

        var sent = await cluster.PostAsync($"/channels/{channelId}/messages", alice.Token, new { content = "across nodes" });
        var message = await bobSocket.WaitForAsync("Message", m => m.GetProperty("_id").GetString() == sent.GetProperty("_id").GetString());
        Assert.Equal("across nodes", message.GetProperty("content").GetString());

        await bobSocket.SendAsync(new { type = "BeginTyping", channel = channelId });
        var typing = await aliceSocket.WaitForAsync("ChannelStartTyping");
        Assert.Equal(bob.UserId, typing.GetProperty("user").GetString());

        // Member updates of the server, then carol comes online on node A: bob on node B is told.
        await bobSocket.SendAsync(new { type = "Subscribe", server_id = serverId });
        await PingAsync(bobSocket);
        var (carolSocket, _) = await StoatSocket.ReadyAsync(cluster.NodeAUrl, carol.Token);
        var online = await bobSocket.WaitForAsync("UserUpdate", u => u.GetProperty("id").GetString() == carol.UserId);
        Assert.True(online.GetProperty("data").GetProperty("online").GetBoolean());
        await carolSocket.DisposeAsync();
        var offline = await bobSocket.WaitForAsync("UserUpdate", u => u.GetProperty("id").GetString() == carol.UserId);
        Assert.False(offline.GetProperty("data").GetProperty("online").GetBoolean());

        // Logging out on one node ends the socket on the other.
        await cluster.PostAsync("/auth/session/logout", bob.Token);
        var last = await bobSocket.UntilClosedAsync();
        Assert.Equal("Logout", last[^1].GetProperty("type").GetString());
    }

    [Fact]
    public async Task Bad_frames_get_Stoat_errors_and_the_socket_and_its_neighbours_carry_on()
    {
        var user = await cluster.SignUpAsync("dave");
        var (socket, _) = await StoatSocket.ReadyAsync(cluster.NodeAUrl, user.Token);
        var (neighbour, _) = await StoatSocket.ReadyAsync(cluster.NodeAUrl, user.Token);
        await using var _1 = socket;
        await using var _2 = neighbour;

        await socket.SendRawAsync("not json"u8.ToArray(), WebSocketMessageType.Text);
        Assert.Equal("MalformedData", await ErrorAsync(socket));
        await socket.SendAsync(new { type = "Dance" });
        var unknown = await socket.WaitForAsync("Error");
        Assert.Equal("MalformedData", ErrorType(unknown));
        Assert.Contains("unknown variant `Dance`", unknown.GetProperty("data").GetProperty("msg").GetString());
        await socket.SendRawAsync([0x81, 0xa4], WebSocketMessageType.Binary);
        Assert.Equal("MalformedData", await ErrorAsync(socket));
        await socket.SendAsync(new { type = "Authenticate", token = user.Token });
        Assert.Equal("AlreadyAuthenticated", await ErrorAsync(socket));
        // Still open and answering.
        await PingAsync(socket);

        await socket.SendRawAsync(Encoding.UTF8.GetBytes(new string('x', 9000)), WebSocketMessageType.Text);
        await socket.UntilClosedAsync();
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, socket.CloseStatus);
        await PingAsync(neighbour);
    }

    [Theory]
    [InlineData("Subscribe")]
    [InlineData("BeginTyping")]
    public async Task A_flood_of_client_messages_closes_that_socket_only(string type)
    {
        var user = await cluster.SignUpAsync("flood" + type.ToLowerInvariant()[..4]);
        var (serverId, channelId) = await cluster.ServerWithAsync(user.Token);
        // Node B: node A's short send queue would drop the flooder for falling behind before it is told.
        var (flooder, _) = await StoatSocket.ReadyAsync(cluster.NodeBUrl, user.Token);
        var (neighbour, _) = await StoatSocket.ReadyAsync(cluster.NodeBUrl, user.Token);
        await using var _1 = flooder;
        await using var _2 = neighbour;

        object message = type == "Subscribe" ? new { type, server_id = serverId } : new { type, channel = channelId };
        for (var i = 0; i < 100 && flooder.State == WebSocketState.Open; i++)
        {
            try
            {
                await flooder.SendAsync(message);
            }
            catch (WebSocketException)
            {
                break;
            }
        }
        var received = await flooder.UntilClosedAsync();
        Assert.Contains(received, m => ErrorType(m) == "RateLimited");
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, flooder.CloseStatus);
        await PingAsync(neighbour);
    }

    [Fact]
    public async Task Refusals_and_the_MessagePack_handshake_follow_Stoat()
    {
        await using (var bad = await StoatSocket.ConnectAsync($"{cluster.NodeAUrl}/?version=1&format=json&token=nope"))
        {
            Assert.Equal("InvalidSession", await ErrorAsync(bad));
            await bad.UntilClosedAsync();
        }
        await using (var badFormat = await StoatSocket.ConnectAsync($"{cluster.NodeAUrl}/?format=xml"))
        {
            Assert.Equal("MalformedData", await ErrorAsync(badFormat));
        }

        var user = await cluster.SignUpAsync("erin");
        await using var socket = await StoatSocket.ConnectAsync($"{cluster.NodeBUrl}/?version=1&format=msgpack&ready=users&ready=servers", messagePack: true);
        await socket.SendAsync(new { type = "Authenticate", token = user.Token });
        Assert.Equal("Authenticated", (await socket.ReceiveAsync()).GetProperty("type").GetString());
        var ready = await socket.ReceiveAsync();
        Assert.Equal("Ready", ready.GetProperty("type").GetString());
        var self = Assert.Single(ready.GetProperty("users").EnumerateArray());
        Assert.Equal("User", self.GetProperty("relationship").GetString());
        Assert.True(self.GetProperty("online").GetBoolean());
        Assert.Equal(0, ready.GetProperty("servers").GetArrayLength());
        // Only the fields asked for.
        Assert.False(ready.TryGetProperty("channels", out _));
        await PingAsync(socket);
    }

    [Fact]
    public async Task A_client_that_stops_reading_is_disconnected_while_others_get_every_event()
    {
        var user = await cluster.SignUpAsync("frank");
        var (_, channelId) = await cluster.ServerWithAsync(user.Token);
        // Node A keeps at most 64 events per socket.
        var (slow, _) = await StoatSocket.ReadyAsync(cluster.NodeAUrl, user.Token);
        var (fast, _) = await StoatSocket.ReadyAsync(cluster.NodeAUrl, user.Token);
        await using var _1 = slow;
        await using var _2 = fast;
        await using var redis = await cluster.ConnectRedisAsync();

        var padding = new string('p', 8 * 1024);
        const int rounds = 80, perRound = 50;
        for (var round = 0; round < rounds; round++)
        {
            for (var i = 0; i < perRound; i++)
            {
                var payload = JsonSerializer.Serialize(new { type = "MessageUpdate", id = $"{round}-{i}", channel = channelId, data = new { content = padding }, clear = Array.Empty<string>() });
                await redis.GetSubscriber().PublishAsync(RedisChannel.Literal(channelId), payload);
            }
            for (var i = 0; i < perRound; i++)
            {
                var update = await fast.WaitForAsync("MessageUpdate");
                Assert.Equal($"{round}-{i}", update.GetProperty("id").GetString());
            }
        }

        // The slow socket holds what its buffers took, then the node's close (or, if even that could not be
        // sent, a reset).
        var got = await slow.UntilClosedAsync(TimeSpan.FromSeconds(30));
        Assert.True(got.Count(m => m.GetProperty("type").GetString() == "MessageUpdate") < rounds * perRound);
        Assert.True(slow.CloseStatus is null or WebSocketCloseStatus.PolicyViolation, $"closed with {slow.CloseStatus}");
        await PingAsync(fast);
    }

    /// <summary>
    /// An owner sees every channel, so handing a server over opens its hidden channels to the new owner's sockets and
    /// closes them to the old owner's.
    /// </summary>
    [Fact]
    public async Task Handing_a_server_over_moves_its_hidden_channels_to_the_new_owners_sockets()
    {
        const long viewChannel = 1 << 20;
        var alice = await cluster.SignUpAsync("ivy");
        var bob = await cluster.SignUpAsync("jack");
        var (serverId, openId) = await cluster.ServerWithAsync(alice.Token, bob.Token);
        var hiddenId = (await cluster.PostAsync($"/servers/{serverId}/channels", alice.Token, new { name = "staff" })).GetProperty("_id").GetString()!;
        await cluster.SendAsync(HttpMethod.Put, $"/channels/{hiddenId}/permissions/default", alice.Token,
            new { permissions = new { allow = 0, deny = viewChannel } });
        var (onA, _) = await StoatSocket.ReadyAsync(cluster.NodeAUrl, alice.Token);
        var (onB, _) = await StoatSocket.ReadyAsync(cluster.NodeBUrl, bob.Token);
        await using var aliceSocket = onA;
        await using var bobSocket = onB;

        var ticket = await cluster.SendAsync(HttpMethod.Put, "/auth/mfa/ticket", alice.Token, new { password = EventsCluster.Password });
        await cluster.SendAsync(HttpMethod.Patch, $"/servers/{serverId}", alice.Token, new { owner = bob.UserId },
            mfaTicket: ticket.GetProperty("token").GetString());
        await aliceSocket.WaitForAsync("ServerUpdate", u => u.GetProperty("id").GetString() == serverId);
        await aliceSocket.WaitForAsync("ChannelDelete", c => c.GetProperty("id").GetString() == hiddenId);
        await bobSocket.WaitForAsync("ServerUpdate", u => u.GetProperty("id").GetString() == serverId);
        await bobSocket.WaitForAsync("ChannelCreate", c => c.GetProperty("_id").GetString() == hiddenId);

        var hidden = await cluster.PostAsync($"/channels/{hiddenId}/messages", bob.Token, new { content = "for staff" });
        await bobSocket.WaitForAsync("Message", m => m.GetProperty("_id").GetString() == hidden.GetProperty("_id").GetString());
        var open = await cluster.PostAsync($"/channels/{openId}/messages", bob.Token, new { content = "for all" });
        await aliceSocket.WaitForAsync("Message", m =>
        {
            Assert.NotEqual(hidden.GetProperty("_id").GetString(), m.GetProperty("_id").GetString());
            return m.GetProperty("_id").GetString() == open.GetProperty("_id").GetString();
        });
    }

    [Fact]
    public async Task After_Redis_restarts_clients_are_told_reconnect_and_receive_events_again()
    {
        var alice = await cluster.SignUpAsync("gina");
        var bob = await cluster.SignUpAsync("hank");
        var (_, channelId) = await cluster.ServerWithAsync(alice.Token, bob.Token);
        var (socket, _) = await StoatSocket.ReadyAsync(cluster.NodeBUrl, bob.Token);

        await cluster.Redis.StopAsync();
        try
        {
            var told = await socket.UntilClosedAsync(TimeSpan.FromSeconds(30));
            Assert.Contains(told, m => ErrorType(m) == "InternalError");
        }
        finally
        {
            await socket.DisposeAsync();
            await cluster.Redis.StartAgainAsync();
        }

        // As stoat.js does: reconnect with backoff until Ready.
        StoatSocket? again = null;
        for (var attempt = 0; again is null; attempt++)
        {
            try
            {
                again = (await StoatSocket.ReadyAsync(cluster.NodeBUrl, bob.Token)).Socket;
            }
            catch (Exception e) when (attempt < 40 && e is InvalidOperationException or WebSocketException or TimeoutException)
            {
                await Task.Delay(500);
            }
        }
        await using var reconnected = again;
        // The Api's own Redis connection comes back on its own schedule; until it has, its events are not published
        // (the messages are stored all the same). Alice keeps sending, and her messages must reach bob again.
        using var arrived = new CancellationTokenSource();
        var sending = Task.Run(async () =>
        {
            while (!arrived.IsCancellationRequested)
            {
                await cluster.PostAsync($"/channels/{channelId}/messages", alice.Token, new { content = "after the restart" });
                await Task.Delay(TimeSpan.FromSeconds(2), arrived.Token).ContinueWith(_ => { });
            }
        });
        await again.WaitForAsync("Message", m => m.GetProperty("content").GetString() == "after the restart", TimeSpan.FromSeconds(60));
        await arrived.CancelAsync();
        await sending;
        Assert.NotNull(cluster.NodeB.ProcessId);
    }

    private static string? ErrorType(JsonElement message) =>
        message.GetProperty("type").GetString() == "Error" ? message.GetProperty("data").GetProperty("type").GetString() : null;

    private static async Task<string?> ErrorAsync(StoatSocket socket) => ErrorType(await socket.WaitForAsync("Error"));

    private static async Task PingAsync(StoatSocket socket)
    {
        await socket.SendAsync(new { type = "Ping", data = 42 });
        var pong = await socket.WaitForAsync("Pong");
        Assert.Equal(42, pong.GetProperty("data").GetInt32());
    }
}
