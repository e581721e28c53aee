using System.Text.Json;

namespace Spokes.Events.Tests;

/// <summary>
/// Presence and profile changes between members of one server, routed as Stoat routes them: coming and going to
/// the server's topic (every member), profile changes to its member topic (those who <c>Subscribe</c>d, and bots);
/// and <c>online</c> in the Api's users read from the same presence.
/// </summary>
[Collection(EventsClusterCollection.Name)]
public sealed class PresenceTests(EventsCluster cluster)
{
    private async Task<bool> OnlineInRestAsync(string viewerToken, string userId) =>
        (await cluster.SendAsync(HttpMethod.Get, $"/users/{userId}", viewerToken)).GetProperty("online").GetBoolean();

    private static bool About(JsonElement update, string userId, string field) =>
        update.GetProperty("id").GetString() == userId && update.GetProperty("data").TryGetProperty(field, out _);

    /// <summary>Everything the socket receives up to and including the first <paramref name="type"/>.</summary>
    private static async Task<List<JsonElement>> UntilAsync(StoatSocket socket, string type)
    {
        var received = new List<JsonElement>();
        while (true)
        {
            var message = await socket.ReceiveAsync(TimeSpan.FromSeconds(15));
            received.Add(message);
            if (message.GetProperty("type").GetString() == type) return received;
        }
    }

    [Fact]
    public async Task Members_see_each_other_come_and_go_without_Subscribe_on_their_sockets_and_in_the_Api()
    {
        var alice = await cluster.SignUpAsync("alice");
        var bob = await cluster.SignUpAsync("bob");
        await cluster.ServerWithAsync(alice.Token, bob.Token);
        var (bobSocket, _) = await StoatSocket.ReadyAsync(cluster.NodeBUrl, bob.Token);
        await using var _ = bobSocket;
        Assert.False(await OnlineInRestAsync(bob.Token, alice.UserId));

        var (aliceSocket, _) = await StoatSocket.ReadyAsync(cluster.NodeAUrl, alice.Token);
        var online = await bobSocket.WaitForAsync("UserUpdate", u => About(u, alice.UserId, "online"));
        Assert.True(online.GetProperty("data").GetProperty("online").GetBoolean());
        Assert.True(await OnlineInRestAsync(bob.Token, alice.UserId));
        Assert.True((await cluster.SendAsync(HttpMethod.Get, "/users/@me", alice.Token)).GetProperty("online").GetBoolean());

        await aliceSocket.DisposeAsync();
        var offline = await bobSocket.WaitForAsync("UserUpdate", u => About(u, alice.UserId, "online"));
        Assert.False(offline.GetProperty("data").GetProperty("online").GetBoolean());
        Assert.False(await OnlineInRestAsync(bob.Token, alice.UserId));
    }

    [Fact]
    public async Task A_display_name_change_reaches_members_who_Subscribe_to_the_server_and_not_those_who_do_not()
    {
        var alice = await cluster.SignUpAsync("alice");
        var bob = await cluster.SignUpAsync("bob");
        var carol = await cluster.SignUpAsync("carol");
        var (serverId, channelId) = await cluster.ServerWithAsync(alice.Token, bob.Token, carol.Token);
        var (bobSocket, _) = await StoatSocket.ReadyAsync(cluster.NodeBUrl, bob.Token);
        var (carolSocket, _) = await StoatSocket.ReadyAsync(cluster.NodeAUrl, carol.Token);
        await using var _1 = bobSocket;
        await using var _2 = carolSocket;
        await bobSocket.SendAsync(new { type = "Subscribe", server_id = serverId });
        await bobSocket.SendAsync(new { type = "Ping", data = 1 });
        await bobSocket.WaitForAsync("Pong");

        await cluster.SendAsync(HttpMethod.Patch, "/users/@me", alice.Token, new { display_name = "Alice Renamed" });
        var renamed = await bobSocket.WaitForAsync("UserUpdate", u => About(u, alice.UserId, "display_name"));
        Assert.Equal("Alice Renamed", renamed.GetProperty("data").GetProperty("display_name").GetString());

        // Carol never asked for the members: as in Stoat, she learns the new name from what alice says next.
        await cluster.PostAsync($"/channels/{channelId}/messages", alice.Token, new { content = "new name" });
        var carolGot = await UntilAsync(carolSocket, "Message");
        Assert.DoesNotContain(carolGot, m => m.GetProperty("type").GetString() == "UserUpdate" && About(m, alice.UserId, "display_name"));
        Assert.Equal("Alice Renamed", carolGot[^1].GetProperty("user").GetProperty("display_name").GetString());
    }

    [Fact]
    public async Task An_Invisible_user_is_never_announced_and_reads_offline_to_friends_in_Ready_and_the_Api()
    {
        var alice = await cluster.SignUpAsync("alice");
        var bob = await cluster.SignUpAsync("bob");
        var (_, channelId) = await cluster.ServerWithAsync(alice.Token, bob.Token);
        var bobSelf = await cluster.SendAsync(HttpMethod.Get, "/users/@me", bob.Token);
        await cluster.PostAsync("/users/friend", alice.Token, new { username = $"bob#{bobSelf.GetProperty("discriminator").GetString()}" });
        await cluster.SendAsync(HttpMethod.Put, $"/users/{alice.UserId}/friend", bob.Token);
        await cluster.SendAsync(HttpMethod.Patch, "/users/@me", alice.Token, new { status = new { presence = "Invisible" } });

        var (bobSocket, _) = await StoatSocket.ReadyAsync(cluster.NodeBUrl, bob.Token);
        await using var _1 = bobSocket;
        var (aliceSocket, _) = await StoatSocket.ReadyAsync(cluster.NodeAUrl, alice.Token);
        await using var _2 = aliceSocket;
        var (laterSocket, ready) = await StoatSocket.ReadyAsync(cluster.NodeAUrl, bob.Token);
        await using var _3 = laterSocket;
        Assert.False(ready.GetProperty("users").EnumerateArray().Single(u => u.GetProperty("_id").GetString() == alice.UserId).GetProperty("online").GetBoolean());
        Assert.False(await OnlineInRestAsync(bob.Token, alice.UserId));

        await cluster.PostAsync($"/channels/{channelId}/messages", alice.Token, new { content = "unseen" });
        var bobGot = await UntilAsync(bobSocket, "Message");
        Assert.DoesNotContain(bobGot, m => m.GetProperty("type").GetString() == "UserUpdate" && About(m, alice.UserId, "online"));
        Assert.False(bobGot[^1].GetProperty("user").GetProperty("online").GetBoolean());
    }
}
