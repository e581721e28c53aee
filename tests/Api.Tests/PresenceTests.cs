using System.Net;
using System.Text.Json;
using Spokes.Contracts.Presence;
using StackExchange.Redis;

namespace Spokes.Api.Tests;

/// <summary>
/// <c>online</c> in the users the Api returns, read from the presence the Events service keeps in Redis and shown
/// by Stoat's rules; and profile changes told where Stoat tells them.
/// </summary>
[Collection(nameof(ApiCollection))]
public sealed class PresenceTests(ApiFixture api) : IAsyncLifetime
{
    private PublishedEvents _events = null!;
    private ConnectionMultiplexer _redis = null!;

    public async Task InitializeAsync()
    {
        _events = await PublishedEvents.SubscribeAsync(api);
        _redis = await ConnectionMultiplexer.ConnectAsync(api.RedisConnectionString);
    }

    public async Task DisposeAsync()
    {
        await _events.DisposeAsync();
        await _redis.DisposeAsync();
    }

    /// <summary>What the Events service runs when a socket of the user opens.</summary>
    private Task ConnectAsync(OnboardedUser user) => PresenceSockets.AddAsync(_redis.GetDatabase(), user.Id, "node", "node/1");

    private Task DisconnectAsync(OnboardedUser user) => PresenceSockets.RemoveAsync(_redis.GetDatabase(), user.Id, "node", "node/1");

    private static async Task<string> ServerOfAsync(OnboardedUser owner, params OnboardedUser[] members)
    {
        var created = await owner.Client.PostAsync("/servers/create", "/servers/create", new { name = "Presence" });
        var server = created.Body.GetProperty("server").GetProperty("_id").GetString()!;
        var general = created.Body.GetProperty("channels")[0].GetProperty("_id").GetString()!;
        var invite = (await owner.Client.PostAsync($"/channels/{general}/invites", "/channels/{target}/invites")).Body.GetProperty("_id").GetString()!;
        foreach (var member in members) Assert.Equal(HttpStatusCode.OK, (await member.Client.PostAsync($"/invites/{invite}", "/invites/{target}")).Status);
        return server;
    }

    private static async Task<bool> OnlineAsync(OnboardedUser viewer, OnboardedUser target)
    {
        var path = viewer == target ? "/users/@me" : $"/users/{target.Id}";
        var reply = await viewer.Client.GetAsync(path, viewer == target ? "/users/@me" : "/users/{target}");
        Assert.Equal(HttpStatusCode.OK, reply.Status);
        return reply.Body.GetProperty("online").GetBoolean();
    }

    private static async Task<bool> OnlineAmongMembersAsync(OnboardedUser viewer, string server, OnboardedUser target)
    {
        var members = await viewer.Client.GetAsync($"/servers/{server}/members", "/servers/{target}/members");
        return members.Body.GetProperty("users").EnumerateArray().Single(u => u.GetProperty("_id").GetString() == target.Id).GetProperty("online").GetBoolean();
    }

    [Fact]
    public async Task A_connected_user_reads_online_to_themselves_and_to_members_of_their_server_until_they_go()
    {
        var alice = await OnboardedUser.CreateAsync(api, "alice");
        var bob = await OnboardedUser.CreateAsync(api, "bob");
        var server = await ServerOfAsync(alice, bob);
        Assert.False(await OnlineAsync(bob, alice));

        await ConnectAsync(alice);
        Assert.True(await OnlineAsync(alice, alice));
        Assert.True(await OnlineAsync(bob, alice));
        Assert.True(await OnlineAmongMembersAsync(bob, server, alice));
        Assert.False(await OnlineAmongMembersAsync(alice, server, bob));

        await DisconnectAsync(alice);
        Assert.False(await OnlineAsync(alice, alice));
        Assert.False(await OnlineAsync(bob, alice));
        Assert.False(await OnlineAmongMembersAsync(bob, server, alice));
    }

    [Fact]
    public async Task Invisible_users_read_offline_and_so_do_users_to_those_they_block()
    {
        var alice = await OnboardedUser.CreateAsync(api, "alice");
        var bob = await OnboardedUser.CreateAsync(api, "bob");
        var server = await ServerOfAsync(alice, bob);
        await ConnectAsync(alice);
        await ConnectAsync(bob);

        var invisible = await alice.Client.PatchAsync("/users/@me", "/users/{target}", new { status = new { presence = "Invisible" } });
        Assert.False(invisible.Body.GetProperty("online").GetBoolean());
        Assert.False(await OnlineAsync(alice, alice));
        Assert.False(await OnlineAsync(bob, alice));
        Assert.False(await OnlineAmongMembersAsync(bob, server, alice));
        await alice.Client.PatchAsync("/users/@me", "/users/{target}", new { remove = new[] { "StatusPresence" } });
        Assert.True(await OnlineAsync(bob, alice));

        // Alice blocks bob: he no longer sees her presence anywhere; she still sees his among the members, not on his own.
        var blocked = await alice.Client.PutAsync($"/users/{bob.Id}/block", "/users/{target}/block");
        Assert.Equal("Blocked", blocked.Body.GetProperty("relationship").GetString());
        Assert.False(blocked.Body.GetProperty("online").GetBoolean());
        Assert.False(await OnlineAsync(bob, alice));
        Assert.False(await OnlineAmongMembersAsync(bob, server, alice));
        Assert.True(await OnlineAmongMembersAsync(alice, server, bob));
        Assert.False(await OnlineAsync(alice, bob));

        // Friends see each other wherever they look.
        await alice.Client.DeleteAsync($"/users/{bob.Id}/block", "/users/{target}/block");
        await alice.Client.PostAsync("/users/friend", "/users/friend", new { username = bob.Tag });
        var accepted = await bob.Client.PutAsync($"/users/{alice.Id}/friend", "/users/{target}/friend");
        Assert.Equal(("Friend", true), (accepted.Body.GetProperty("relationship").GetString(), accepted.Body.GetProperty("online").GetBoolean()));
        var told = await _events.WaitForAsync(alice.Id + "!", "UserRelationship", e => e.GetProperty("user").GetProperty("relationship").GetString() == "Friend");
        Assert.True(told.GetProperty("user").GetProperty("online").GetBoolean());
    }

    [Fact]
    public async Task A_profile_change_is_told_on_the_users_topic_and_the_member_topic_of_each_of_their_servers()
    {
        var alice = await OnboardedUser.CreateAsync(api, "alice");
        var first = await ServerOfAsync(alice);
        var second = await ServerOfAsync(alice);

        await alice.Client.PatchAsync("/users/@me", "/users/{target}", new { display_name = "Alice Everywhere" });
        static bool Renamed(JsonElement e) => e.GetProperty("data").TryGetProperty("display_name", out var name) && name.GetString() == "Alice Everywhere";
        var own = await _events.WaitForAsync(alice.Id, "UserUpdate", Renamed);
        var inFirst = await _events.WaitForAsync(first + "u", "UserUpdate", Renamed);
        var inSecond = await _events.WaitForAsync(second + "u", "UserUpdate", Renamed);
        // One event on every topic: a socket that gets it twice shows it once.
        Assert.Equal(own.GetProperty("event_id").GetString(), inFirst.GetProperty("event_id").GetString());
        Assert.Equal(own.GetProperty("event_id").GetString(), inSecond.GetProperty("event_id").GetString());
    }
}
