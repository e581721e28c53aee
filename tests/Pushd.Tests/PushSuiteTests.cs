using System.Text.Json;

namespace Spokes.Pushd.Tests;

/// <summary>Acceptance: messages sent through the Api reach npm's browsers through Pushd, as Stoat's users would be told.</summary>
public sealed class PushSuiteTests(PushSuite suite) : IClassFixture<PushSuite>
{
    [Fact]
    public async Task A_DM_reaches_the_other_side_decrypted_by_http_ece_with_a_VAPID_token_of_the_announced_key_after_the_friend_request_pushes()
    {
        var alice = await suite.SignUpAsync("alice");
        var bob = await suite.SignUpAsync("bob");
        var browser = suite.Browsers[0];
        await suite.SubscribeAsync(bob.Token, browser);

        var dm = await suite.BefriendAsync(alice, bob);
        var request = await browser.NextAsync();
        Assert.True(request.GetProperty("ok").GetBoolean(), request.ToString());
        Assert.EndsWith("sent you a friend request", request.GetProperty("payload").GetProperty("body").GetString());

        await suite.SendAsync(HttpMethod.Post, $"/channels/{dm}/messages", alice.Token, new { content = $"hello <@{bob.Id}>, lunch?" });

        var pushed = await browser.NextAsync();
        Assert.True(pushed.GetProperty("ok").GetBoolean(), pushed.ToString());
        var payload = pushed.GetProperty("payload");
        Assert.Equal($"hello @{bob.Tag.Split('#')[0]}, lunch?", payload.GetProperty("body").GetString());
        Assert.Equal(dm, payload.GetProperty("tag").GetString());
        Assert.StartsWith("alice", payload.GetProperty("author").GetString());
    }

    [Fact]
    public async Task A_server_mention_reaches_only_the_mentioned_user_and_a_muted_channel_sends_nothing()
    {
        var owner = await suite.SignUpAsync("owner");
        var bob = await suite.SignUpAsync("bob");
        var carol = await suite.SignUpAsync("carol");
        var (bobBrowser, carolBrowser) = (suite.Browsers[1], suite.Browsers[2]);
        await suite.SubscribeAsync(bob.Token, bobBrowser);
        await suite.SubscribeAsync(carol.Token, carolBrowser);
        var created = await suite.SendAsync(HttpMethod.Post, "/servers/create", owner.Token, new { name = "Push" });
        var channel = created.GetProperty("channels")[0].GetProperty("_id").GetString()!;
        var invite = (await suite.SendAsync(HttpMethod.Post, $"/channels/{channel}/invites", owner.Token)).GetProperty("_id").GetString()!;
        await suite.SendAsync(HttpMethod.Post, $"/invites/{invite}", bob.Token);
        await suite.SendAsync(HttpMethod.Post, $"/invites/{invite}", carol.Token);

        await suite.SendAsync(HttpMethod.Post, $"/channels/{channel}/messages", owner.Token, new { content = $"<@{bob.Id}> ping" });
        var pushed = await bobBrowser.NextAsync();
        Assert.True(pushed.GetProperty("ok").GetBoolean(), pushed.ToString());
        Assert.EndsWith(" ping", pushed.GetProperty("payload").GetProperty("body").GetString());

        // Bob mutes the channel as Stoat's clients do, in his synced settings; then both are mentioned.
        var settings = JsonSerializer.Serialize(new { channel = new Dictionary<string, string> { [channel] = "muted" } });
        await suite.SendAsync(HttpMethod.Post, $"/sync/settings/set?timestamp={DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}", bob.Token,
            new Dictionary<string, string> { ["notifications"] = settings });
        await suite.SendAsync(HttpMethod.Post, $"/channels/{channel}/messages", owner.Token, new { content = $"<@{bob.Id}> <@{carol.Id}> again" });

        var carolPushed = await carolBrowser.NextAsync();
        Assert.True(carolPushed.GetProperty("ok").GetBoolean(), carolPushed.ToString());
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Equal(0, bobBrowser.Pending);
        Assert.Equal(0, carolBrowser.Pending);
    }

    [Fact]
    public async Task Every_push_arrives_exactly_once_although_RabbitMQ_restarts_while_messages_are_sent()
    {
        var alice = await suite.SignUpAsync("alice");
        var dave = await suite.SignUpAsync("dave");
        var browser = suite.Browsers[3];
        var dm = await suite.BefriendAsync(alice, dave);
        await suite.SubscribeAsync(dave.Token, browser);

        const int count = 20;
        for (var i = 0; i < count; i++)
        {
            if (i == 8) await suite.RabbitMq.StopAsync();
            if (i == 14) await suite.RabbitMq.StartAgainAsync();
            await suite.SendAsync(HttpMethod.Post, $"/channels/{dm}/messages", alice.Token, new { content = $"message {i}" });
        }

        var bodies = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var pushed = await browser.NextAsync(TimeSpan.FromSeconds(90));
            Assert.True(pushed.GetProperty("ok").GetBoolean(), pushed.ToString());
            bodies.Add(pushed.GetProperty("payload").GetProperty("body").GetString()!);
        }
        await Task.Delay(TimeSpan.FromSeconds(5));
        Assert.Equal(0, browser.Pending);
        Assert.Equal(Enumerable.Range(0, count).Select(i => $"message {i}").Order(), bodies.Order());
    }

    [Fact]
    public async Task A_subscription_the_push_service_calls_gone_is_removed_from_the_session()
    {
        var alice = await suite.SignUpAsync("alice");
        var erin = await suite.SignUpAsync("erin");
        var dm = await suite.BefriendAsync(alice, erin);
        await suite.SubscribeAsync(erin.Token, suite.GoneBrowser);

        await suite.SendAsync(HttpMethod.Post, $"/channels/{dm}/messages", alice.Token, new { content = "anyone there?" });

        Assert.Equal(410, (await suite.GoneBrowser.NextAsync()).GetProperty("status").GetInt32());
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (await suite.IsSubscribedAsync(erin.Token) && DateTime.UtcNow < deadline) await Task.Delay(200);
        Assert.False(await suite.IsSubscribedAsync(erin.Token));
    }
}
