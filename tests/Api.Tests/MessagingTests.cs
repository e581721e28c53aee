using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;

namespace Spokes.Api.Tests;

/// <summary>Messages through the Api as a Stoat client sends and reads them, with the events they publish.</summary>
[Collection(nameof(ApiCollection))]
public class MessagingTests(ApiFixture api) : IAsyncLifetime
{
    private const string Messages = "/channels/{target}/messages";
    private const string OneMessage = "/channels/{target}/messages/{msg}";

    private PublishedEvents _events = null!;

    public async Task InitializeAsync() => _events = await PublishedEvents.SubscribeAsync(api);

    public async Task DisposeAsync() => await _events.DisposeAsync();

    private static string Id(StoatSession.Reply reply) => reply.Body.GetProperty("_id").GetString()!;

    /// <summary>A new server of <paramref name="owner"/>'s, and its General channel.</summary>
    private static async Task<(string Server, string Channel)> CreateServerAsync(OnboardedUser owner, string name)
    {
        var created = await owner.Client.PostAsync("/servers/create", "/servers/create", new { name });
        return (created.Body.GetProperty("server").GetProperty("_id").GetString()!, created.Body.GetProperty("channels")[0].GetProperty("_id").GetString()!);
    }

    /// <summary>An owner with a server, and a member who joined it through an invite.</summary>
    private async Task<(OnboardedUser Owner, OnboardedUser Member, string Server, string Channel)> ServerWithMemberAsync()
    {
        var owner = await OnboardedUser.CreateAsync(api, "owner");
        var member = await OnboardedUser.CreateAsync(api, "member");
        var (server, channel) = await CreateServerAsync(owner, "Chat");
        var invite = await owner.Client.PostAsync($"/channels/{channel}/invites", "/channels/{target}/invites");
        Assert.Equal(HttpStatusCode.OK, (await member.Client.PostAsync($"/invites/{Id(invite)}", "/invites/{target}")).Status);
        return (owner, member, server, channel);
    }

    private static async Task<StoatSession.Reply> SendAsync(OnboardedUser user, string channel, object body)
    {
        var reply = await user.Client.PostAsync($"/channels/{channel}/messages", Messages, body);
        Assert.True(reply.Status == HttpStatusCode.OK, $"send → {(int)reply.Status} {reply.Body}");
        return reply;
    }

    private static async Task ErrorAsync(Task<StoatSession.Reply> call, HttpStatusCode status, string type)
    {
        var reply = await call;
        Assert.Equal((status, type), (reply.Status, reply.ErrorType));
    }

    private static List<string> Ids(JsonElement messages) => messages.EnumerateArray().Select(m => m.GetProperty("_id").GetString()!).ToList();

    [Fact]
    public async Task A_conversation_sends_replies_edits_reacts_pins_and_deletes_with_events()
    {
        var (owner, member, _, channel) = await ServerWithMemberAsync();
        // Joining is announced in the server's system channel.
        var joined = await _events.WaitForAsync(channel, "Message", e => e.TryGetProperty("system", out var s) && s.GetProperty("id").GetString() == member.Id);
        Assert.Equal("user_joined", joined.GetProperty("system").GetProperty("type").GetString());

        var first = await SendAsync(owner, channel, new { content = "hello there" });
        Assert.Equal((owner.Id, channel, "hello there"), (first.Body.GetProperty("author").GetString(), first.Body.GetProperty("channel").GetString(),
            first.Body.GetProperty("content").GetString()));
        var sent = await _events.WaitForAsync(channel, "Message", e => e.GetProperty("_id").GetString() == Id(first));
        Assert.Equal(owner.Id, sent.GetProperty("user").GetProperty("_id").GetString());
        Assert.Equal(owner.Id, sent.GetProperty("member").GetProperty("_id").GetProperty("user").GetString());

        var reply = await SendAsync(member, channel, new { content = "hi!", replies = new[] { new { id = Id(first), mention = true } } });
        Assert.Equal(Id(first), reply.Body.GetProperty("replies")[0].GetString());
        Assert.Equal(owner.Id, reply.Body.GetProperty("mentions")[0].GetString());

        var edited = await owner.Client.PatchAsync($"/channels/{channel}/messages/{Id(first)}", OneMessage, new { content = "hello, edited" });
        Assert.Equal("hello, edited", edited.Body.GetProperty("content").GetString());
        Assert.True(edited.Body.TryGetProperty("edited", out _));
        await _events.WaitForAsync(channel, "MessageUpdate", e => e.GetProperty("id").GetString() == Id(first)
            && e.GetProperty("data").GetProperty("content").GetString() == "hello, edited");
        await ErrorAsync(member.Client.PatchAsync($"/channels/{channel}/messages/{Id(first)}", OneMessage, new { content = "not mine" }),
            HttpStatusCode.Forbidden, "CannotEditMessage");

        var react = $"/channels/{channel}/messages/{Id(first)}/reactions/%F0%9F%91%8D";
        Assert.Equal(HttpStatusCode.NoContent, (await member.Client.PutAsync(react, "/channels/{target}/messages/{msg}/reactions/{emoji}")).Status);
        await _events.WaitForAsync(channel, "MessageReact", e => e.GetProperty("user_id").GetString() == member.Id && e.GetProperty("emoji_id").GetString() == "👍");
        var fetched = await owner.Client.GetAsync($"/channels/{channel}/messages/{Id(first)}", OneMessage);
        Assert.Equal(member.Id, fetched.Body.GetProperty("reactions").GetProperty("👍")[0].GetString());
        Assert.Equal(HttpStatusCode.NoContent, (await member.Client.DeleteAsync(react, "/channels/{target}/messages/{msg}/reactions/{emoji}")).Status);
        await _events.WaitForAsync(channel, "MessageUnreact", e => e.GetProperty("user_id").GetString() == member.Id);
        fetched = await owner.Client.GetAsync($"/channels/{channel}/messages/{Id(first)}", OneMessage);
        Assert.False(fetched.Body.TryGetProperty("reactions", out _));
        await ErrorAsync(member.Client.PutAsync($"/channels/{channel}/messages/{Id(first)}/reactions/notanemoji", "/channels/{target}/messages/{msg}/reactions/{emoji}"),
            HttpStatusCode.BadRequest, "InvalidOperation");

        Assert.Equal(HttpStatusCode.NoContent, (await owner.Client.PostAsync($"/channels/{channel}/messages/{Id(first)}/pin", "/channels/{target}/messages/{msg}/pin")).Status);
        await ErrorAsync(owner.Client.PostAsync($"/channels/{channel}/messages/{Id(first)}/pin", "/channels/{target}/messages/{msg}/pin"), HttpStatusCode.BadRequest, "AlreadyPinned");
        await ErrorAsync(member.Client.PostAsync($"/channels/{channel}/messages/{Id(reply)}/pin", "/channels/{target}/messages/{msg}/pin"), HttpStatusCode.Forbidden, "MissingPermission");
        var pinnedNotice = await _events.WaitForAsync(channel, "Message", e => e.TryGetProperty("system", out var s) && s.GetProperty("type").GetString() == "message_pinned");
        Assert.Equal(Id(first), pinnedNotice.GetProperty("system").GetProperty("id").GetString());
        var pinned = await owner.Client.PostAsync($"/channels/{channel}/search", "/channels/{target}/search", new { pinned = true });
        Assert.Equal([Id(first)], Ids(pinned.Body));

        await ErrorAsync(member.Client.DeleteAsync($"/channels/{channel}/messages/{Id(first)}", OneMessage), HttpStatusCode.Forbidden, "MissingPermission");
        Assert.Equal(HttpStatusCode.NoContent, (await member.Client.DeleteAsync($"/channels/{channel}/messages/{Id(reply)}", OneMessage)).Status);
        await _events.WaitForAsync(channel, "MessageDelete", e => e.GetProperty("id").GetString() == Id(reply));
        await ErrorAsync(owner.Client.GetAsync($"/channels/{channel}/messages/{Id(reply)}", OneMessage), HttpStatusCode.NotFound, "UnknownMessage");
    }

    [Fact]
    public async Task History_pages_both_ways_and_around_a_message_and_includes_users()
    {
        var owner = await OnboardedUser.CreateAsync(api, "historian");
        var (_, channel) = await CreateServerAsync(owner, "History");
        var sent = new List<string>();
        for (var i = 0; i < 120; i++) sent.Add(Id(await SendAsync(owner, channel, new { content = $"message {i}" })));

        var newest = await owner.Client.GetAsync($"/channels/{channel}/messages?limit=50", Messages);
        Assert.Equal(sent.AsEnumerable().Reverse().Take(50), Ids(newest.Body));
        var older = await owner.Client.GetAsync($"/channels/{channel}/messages?limit=50&before={sent[70]}", Messages);
        Assert.Equal(sent.Take(70).Reverse().Take(50), Ids(older.Body));
        var oldest = await owner.Client.GetAsync($"/channels/{channel}/messages?limit=30&sort=Oldest&after={sent[9]}", Messages);
        Assert.Equal(sent.Skip(10).Take(30), Ids(oldest.Body));
        var around = await owner.Client.GetAsync($"/channels/{channel}/messages?limit=10&nearby={sent[60]}", Messages);
        Assert.Equal(sent.Skip(55).Take(10).Reverse(), Ids(around.Body));

        var withUsers = await owner.Client.GetAsync($"/channels/{channel}/messages?limit=5&include_users=true", Messages);
        Assert.Equal(5, withUsers.Body.GetProperty("messages").GetArrayLength());
        Assert.Equal(owner.Id, withUsers.Body.GetProperty("users")[0].GetProperty("_id").GetString());
        Assert.Equal(owner.Id, withUsers.Body.GetProperty("members")[0].GetProperty("_id").GetProperty("user").GetString());

        await ErrorAsync(owner.Client.GetAsync($"/channels/{channel}/messages?limit=101", Messages), HttpStatusCode.BadRequest, "FailedValidation");
        await ErrorAsync(owner.Client.GetAsync($"/channels/{channel}/messages?sort=Relevance", Messages), HttpStatusCode.BadRequest, "FailedValidation");
        await ErrorAsync(owner.Client.GetAsync($"/channels/{channel}/messages?before=nope", Messages), HttpStatusCode.BadRequest, "FailedValidation");
    }

    [Fact]
    public async Task Search_finds_words_by_relevance_and_recency()
    {
        var owner = await OnboardedUser.CreateAsync(api, "searcher");
        var (_, channel) = await CreateServerAsync(owner, "Search");
        var bicycle = Id(await SendAsync(owner, channel, new { content = "my bicycle has two spokes" }));
        var wheel = Id(await SendAsync(owner, channel, new { content = "a wheel full of spokes, spokes everywhere" }));
        await SendAsync(owner, channel, new { content = "nothing to see here" });

        var found = await owner.Client.PostAsync($"/channels/{channel}/search", "/channels/{target}/search", new { query = "spokes" });
        Assert.Equal([wheel, bicycle], Ids(found.Body));
        var latest = await owner.Client.PostAsync($"/channels/{channel}/search", "/channels/{target}/search", new { query = "bicycle wheel", sort = "Oldest" });
        Assert.Equal([bicycle, wheel], Ids(latest.Body));
        var none = await owner.Client.PostAsync($"/channels/{channel}/search", "/channels/{target}/search", new { query = "\"OR\" NEAR(" });
        Assert.Equal(0, none.Body.GetArrayLength());

        await ErrorAsync(owner.Client.PostAsync($"/channels/{channel}/search", "/channels/{target}/search", new { query = new string('a', 65) }),
            HttpStatusCode.BadRequest, "FailedValidation");
        await ErrorAsync(owner.Client.PostAsync($"/channels/{channel}/search", "/channels/{target}/search", new { query = "spokes", pinned = true }),
            HttpStatusCode.BadRequest, "FailedValidation");
    }

    [Fact]
    public async Task Bad_messages_are_refused_and_change_nothing()
    {
        var (owner, member, _, channel) = await ServerWithMemberAsync();
        var before = Ids((await owner.Client.GetAsync($"/channels/{channel}/messages", Messages)).Body);

        await ErrorAsync(owner.Client.PostAsync($"/channels/{channel}/messages", Messages, new { content = new string('x', 2001) }),
            HttpStatusCode.RequestEntityTooLarge, "PayloadTooLarge");
        await ErrorAsync(owner.Client.PostAsync($"/channels/{channel}/messages", Messages, new { content = "" }), HttpStatusCode.BadRequest, "EmptyMessage");
        var sixReplies = Enumerable.Range(0, 6).Select(_ => new { id = "01J00000000000000000000000", mention = false }).ToArray();
        await ErrorAsync(owner.Client.PostAsync($"/channels/{channel}/messages", Messages, new { content = "x", replies = sixReplies }),
            HttpStatusCode.BadRequest, "TooManyReplies");
        var sixEmbeds = Enumerable.Range(0, 6).Select(i => new { title = $"embed {i}" }).ToArray();
        await ErrorAsync(owner.Client.PostAsync($"/channels/{channel}/messages", Messages, new { content = "x", embeds = sixEmbeds }),
            HttpStatusCode.BadRequest, "TooManyEmbeds");
        await ErrorAsync(owner.Client.PostAsync($"/channels/{channel}/messages", Messages, new { content = "x", attachments = Enumerable.Repeat("file", 6) }),
            HttpStatusCode.BadRequest, "TooManyAttachments");
        await ErrorAsync(owner.Client.PostAsync($"/channels/{channel}/messages", Messages, new { content = "x", replies = new[] { new { id = "01J00000000000000000000000", mention = false } } }),
            HttpStatusCode.NotFound, "UnknownMessage");
        await ErrorAsync(member.Client.PostAsync($"/channels/{channel}/messages", Messages, new { content = "ping @everyone" }),
            HttpStatusCode.Forbidden, "MissingPermission");
        await ErrorAsync(member.Client.PostAsync($"/channels/{channel}/messages", Messages, new { content = "x", masquerade = new { name = "Someone else" } }),
            HttpStatusCode.Forbidden, "MissingPermission");
        Assert.Equal(before, Ids((await owner.Client.GetAsync($"/channels/{channel}/messages", Messages)).Body));

        // A repeated Idempotency-Key is refused; the first send stands alone.
        owner.Client.IdempotencyKey = Guid.NewGuid().ToString();
        var once = await SendAsync(owner, channel, new { content = "only once" });
        await ErrorAsync(owner.Client.PostAsync($"/channels/{channel}/messages", Messages, new { content = "only once" }), HttpStatusCode.Conflict, "DuplicateNonce");
        owner.Client.IdempotencyKey = null;
        Assert.Equal([Id(once), .. before], Ids((await owner.Client.GetAsync($"/channels/{channel}/messages", Messages)).Body));

        // Reactions outside a restricted list are refused.
        var restricted = await SendAsync(owner, channel, new { content = "vote", interactions = new { reactions = new[] { "👍", "👎" }, restrict_reactions = true } });
        await ErrorAsync(member.Client.PutAsync($"/channels/{channel}/messages/{Id(restricted)}/reactions/%F0%9F%8E%89", "/channels/{target}/messages/{msg}/reactions/{emoji}"),
            HttpStatusCode.BadRequest, "InvalidOperation");
        Assert.Equal(HttpStatusCode.NoContent,
            (await member.Client.PutAsync($"/channels/{channel}/messages/{Id(restricted)}/reactions/%F0%9F%91%8D", "/channels/{target}/messages/{msg}/reactions/{emoji}")).Status);
    }

    [Fact]
    public async Task Bulk_delete_takes_only_recent_messages_of_the_channel()
    {
        var (owner, member, server, channel) = await ServerWithMemberAsync();
        var other = Id(await owner.Client.PostAsync($"/servers/{server}/channels", "/servers/{server}/channels", new { name = "other" }));
        var ours = new List<string>();
        for (var i = 0; i < 3; i++) ours.Add(Id(await SendAsync(member, channel, new { content = $"spam {i}" })));
        var foreign = Id(await SendAsync(owner, other, new { content = "elsewhere" }));
        var weekOld = Ulid.NewUlid(DateTimeOffset.UtcNow.AddDays(-8)).ToString();
        const string Bulk = "/channels/{target}/messages/bulk";

        await ErrorAsync(member.Client.SendJsonAsync(HttpMethod.Delete, $"/channels/{channel}/messages/bulk", Bulk, new { ids = ours }), HttpStatusCode.Forbidden, "MissingPermission");
        await ErrorAsync(owner.Client.SendJsonAsync(HttpMethod.Delete, $"/channels/{channel}/messages/bulk", Bulk, new { ids = new[] { ours[0], weekOld } }),
            HttpStatusCode.BadRequest, "FailedValidation");
        await ErrorAsync(owner.Client.SendJsonAsync(HttpMethod.Delete, $"/channels/{channel}/messages/bulk", Bulk, new { ids = new[] { ours[0], foreign } }),
            HttpStatusCode.NotFound, "UnknownMessage");
        await ErrorAsync(owner.Client.SendJsonAsync(HttpMethod.Delete, $"/channels/{channel}/messages/bulk", Bulk, new { ids = Array.Empty<string>() }),
            HttpStatusCode.BadRequest, "FailedValidation");
        var all = Ids((await owner.Client.GetAsync($"/channels/{channel}/messages", Messages)).Body);
        Assert.Subset(all.ToHashSet(), ours.ToHashSet());

        Assert.Equal(HttpStatusCode.NoContent, (await owner.Client.SendJsonAsync(HttpMethod.Delete, $"/channels/{channel}/messages/bulk", Bulk, new { ids = ours })).Status);
        await _events.WaitForAsync(channel, "BulkMessageDelete", e => e.GetProperty("ids").GetArrayLength() == 3);
        Assert.Empty(Ids((await owner.Client.GetAsync($"/channels/{channel}/messages", Messages)).Body).Intersect(ours));
        Assert.Equal(HttpStatusCode.OK, (await owner.Client.GetAsync($"/channels/{other}/messages/{foreign}", OneMessage)).Status);
    }

    [Fact]
    public async Task Mentions_show_as_unreads_until_the_channel_is_acknowledged()
    {
        var (owner, member, _, channel) = await ServerWithMemberAsync();
        var mention = await SendAsync(owner, channel, new { content = $"hey <@{member.Id}>, and <@{Ulid.NewUlid()}> who is not here" });
        Assert.Equal([member.Id], mention.Body.GetProperty("mentions").EnumerateArray().Select(m => m.GetString()));

        var unreads = await member.Client.GetAsync("/sync/unreads", "/sync/unreads");
        var unread = unreads.Body.EnumerateArray().Single(u => u.GetProperty("_id").GetProperty("channel").GetString() == channel);
        Assert.Equal([Id(mention)], unread.GetProperty("mentions").EnumerateArray().Select(m => m.GetString()));

        Assert.Equal(HttpStatusCode.NoContent, (await member.Client.PutAsync($"/channels/{channel}/ack/{Id(mention)}", "/channels/{target}/ack/{message}")).Status);
        await _events.WaitForAsync(member.Id + "!", "ChannelAck", e => e.GetProperty("message_id").GetString() == Id(mention));
        unread = (await member.Client.GetAsync("/sync/unreads", "/sync/unreads")).Body.EnumerateArray()
            .Single(u => u.GetProperty("_id").GetProperty("channel").GetString() == channel);
        Assert.Equal(Id(mention), unread.GetProperty("last_id").GetString());
        Assert.False(unread.TryGetProperty("mentions", out var left) && left.GetArrayLength() > 0);
    }

    [Fact]
    public async Task Settings_sync_and_the_newest_write_wins()
    {
        var user = await OnboardedUser.CreateAsync(api, "settler");
        Assert.Equal(HttpStatusCode.NoContent, (await user.Client.PostAsync("/sync/settings/set?timestamp=2000", "/sync/settings/set", new { theme = "{\"dark\":true}", locale = "\"en\"" })).Status);
        await _events.WaitForAsync(user.Id + "!", "UserSettingsUpdate", e => e.GetProperty("update").TryGetProperty("theme", out _));
        Assert.Equal(HttpStatusCode.NoContent, (await user.Client.PostAsync("/sync/settings/set?timestamp=1000", "/sync/settings/set", new { theme = "stale" })).Status);
        Assert.Equal(HttpStatusCode.NoContent, (await user.Client.PostAsync("/sync/settings/set?timestamp=3000", "/sync/settings/set", new { locale = "\"fr\"" })).Status);

        var fetched = await user.Client.PostAsync("/sync/settings/fetch", "/sync/settings/fetch", new { keys = new[] { "theme", "locale", "unknown" } });
        Assert.Equal((2000, "{\"dark\":true}"), (fetched.Body.GetProperty("theme")[0].GetInt64(), fetched.Body.GetProperty("theme")[1].GetString()));
        Assert.Equal((3000, "\"fr\""), (fetched.Body.GetProperty("locale")[0].GetInt64(), fetched.Body.GetProperty("locale")[1].GetString()));
        Assert.False(fetched.Body.TryGetProperty("unknown", out _));
        await ErrorAsync(user.Client.PostAsync("/sync/settings/set", "/sync/settings/set", new Dictionary<string, string> { ["bad key!"] = "x" }),
            HttpStatusCode.BadRequest, "FailedValidation");
    }

    [Fact]
    public async Task A_bot_is_made_invited_and_posts_with_its_token_but_may_not_act_as_a_person()
    {
        var (owner, _, server, channel) = await ServerWithMemberAsync();
        var created = await owner.Client.PostAsync("/bots/create", "/bots/create", new { name = "helper" });
        Assert.Equal(HttpStatusCode.OK, created.Status);
        var botId = Id(created);
        Assert.Equal(owner.Id, created.Body.GetProperty("user").GetProperty("bot").GetProperty("owner").GetString());
        var owned = await owner.Client.GetAsync("/bots/@me", "/bots/@me");
        Assert.Equal([botId], Ids(owned.Body.GetProperty("bots")));

        var bot = new StoatSession(api.Factory.CreateClient()) { BotToken = created.Body.GetProperty("token").GetString() };
        await ErrorAsync(bot.PostAsync($"/channels/{channel}/messages", Messages, new { content = "not yet" }), HttpStatusCode.Forbidden, "MissingPermission");
        Assert.Equal(HttpStatusCode.NoContent, (await owner.Client.PostAsync($"/bots/{botId}/invite", "/bots/{target}/invite", new { server })).Status);
        var posted = await bot.PostAsync($"/channels/{channel}/messages", Messages, new { content = "beep boop" });
        Assert.Equal((HttpStatusCode.OK, botId), (posted.Status, posted.Body.GetProperty("author").GetString()));
        var announced = await _events.WaitForAsync(channel, "Message", e => e.GetProperty("_id").GetString() == Id(posted));
        Assert.Equal(owner.Id, announced.GetProperty("user").GetProperty("bot").GetProperty("owner").GetString());
        Assert.Equal(botId, Id(await bot.GetAsync("/users/@me", "/users/@me")));
        await ErrorAsync(bot.PostAsync("/servers/create", "/servers/create", new { name = "mine" }), HttpStatusCode.BadRequest, "IsBot");
        await ErrorAsync(bot.PostAsync("/bots/create", "/bots/create", new { name = "botception" }), HttpStatusCode.BadRequest, "IsBot");

        // A new token ends the old one at once; deleting the bot takes it out of the server.
        var edited = await owner.Client.PatchAsync($"/bots/{botId}", "/bots/{target}", new { remove = new[] { "Token" } });
        await ErrorAsync(bot.GetAsync("/users/@me", "/users/@me"), HttpStatusCode.Unauthorized, "InvalidSession");
        bot.BotToken = edited.Body.GetProperty("token").GetString();
        Assert.Equal(HttpStatusCode.OK, (await bot.GetAsync("/users/@me", "/users/@me")).Status);
        Assert.Equal(HttpStatusCode.NoContent, (await owner.Client.DeleteAsync($"/bots/{botId}", "/bots/{target}")).Status);
        await ErrorAsync(bot.GetAsync("/users/@me", "/users/@me"), HttpStatusCode.Unauthorized, "InvalidSession");
        await _events.WaitForAsync(server, "ServerMemberLeave", e => e.GetProperty("user").GetString() == botId);
    }

    [Fact]
    public async Task Webhooks_exist_only_when_enabled_and_post_with_their_token()
    {
        var (owner, _, _, channel) = await ServerWithMemberAsync();
        Assert.Equal(HttpStatusCode.NotFound, (await owner.Client.GetAsync($"/channels/{channel}/webhooks", "/channels/{channel_id}/webhooks")).Status);

        var enabled = new StoatSession(api.Factory.WithWebHostBuilder(web => web.UseSetting("Api:WebhooksEnabled", "true")).CreateClient()) { Token = owner.Client.Token };
        var created = await enabled.PostAsync($"/channels/{channel}/webhooks", "/channels/{target}/webhooks", new { name = "CI" });
        Assert.Equal(HttpStatusCode.OK, created.Status);
        var (id, token) = (created.Body.GetProperty("id").GetString()!, created.Body.GetProperty("token").GetString()!);
        await _events.WaitForAsync(channel, "WebhookCreate", e => e.GetProperty("id").GetString() == id);

        var anonymous = new StoatSession(api.Factory.WithWebHostBuilder(web => web.UseSetting("Api:WebhooksEnabled", "true")).CreateClient());
        var posted = await anonymous.PostAsync($"/webhooks/{id}/{token}", "/webhooks/{webhook_id}/{token}", new { content = "build passed" });
        Assert.Equal((HttpStatusCode.OK, id, "CI"), (posted.Status, posted.Body.GetProperty("author").GetString(), posted.Body.GetProperty("webhook").GetProperty("name").GetString()));
        await ErrorAsync(anonymous.PostAsync($"/webhooks/{id}/{new string('x', token.Length)}", "/webhooks/{webhook_id}/{token}", new { content = "forged" }),
            HttpStatusCode.Unauthorized, "NotAuthenticated");
        var fetched = await enabled.GetAsync($"/webhooks/{id}", "/webhooks/{webhook_id}");
        Assert.False(fetched.Body.TryGetProperty("token", out _));

        var history = await owner.Client.GetAsync($"/channels/{channel}/messages?limit=1", Messages);
        Assert.Equal(Id(posted), Ids(history.Body).Single());
        Assert.Equal(HttpStatusCode.NoContent, (await anonymous.DeleteAsync($"/webhooks/{id}/{token}", "/webhooks/{webhook_id}/{token}")).Status);
        await ErrorAsync(anonymous.PostAsync($"/webhooks/{id}/{token}", "/webhooks/{webhook_id}/{token}", new { content = "gone" }),
            HttpStatusCode.Unauthorized, "NotAuthenticated");
    }

    [Fact]
    public async Task Reports_reach_moderators_and_emojis_need_a_claimable_upload()
    {
        var (owner, member, server, channel) = await ServerWithMemberAsync();
        var rude = await SendAsync(member, channel, new { content = "something rude" });
        var reported = await owner.Client.PostAsync("/safety/report", "/safety/report",
            new { content = new { type = "Message", id = Id(rude), report_reason = "Harassment" }, additional_context = "see above" });
        Assert.Equal(HttpStatusCode.NoContent, reported.Status);
        var report = await _events.WaitForAsync("moderation", "ReportCreate", e => e.GetProperty("content").GetProperty("id").GetString() == Id(rude));
        Assert.Equal((owner.Id, "Created"), (report.GetProperty("author_id").GetString(), report.GetProperty("status").GetProperty("status").GetString()));
        await ErrorAsync(member.Client.PostAsync("/safety/report", "/safety/report", new { content = new { type = "Message", id = Id(rude), report_reason = "Harassment" } }),
            HttpStatusCode.BadRequest, "CannotReportYourself");
        await ErrorAsync(owner.Client.PostAsync("/safety/report", "/safety/report", new { content = new { type = "User", id = member.Id, report_reason = "Malware" } }),
            HttpStatusCode.BadRequest, "FailedValidation");
        Assert.Equal(HttpStatusCode.NoContent, (await owner.Client.PostAsync("/policy/acknowledge", "/policy/acknowledge")).Status);

        var fileId = Ulid.NewUlid().ToString();
        var parent = new { type = "Server", id = server };
        await ErrorAsync(member.Client.PutAsync($"/custom/emoji/{fileId}", "/custom/emoji/{id}", new { name = "party", parent }), HttpStatusCode.Forbidden, "MissingPermission");
        await ErrorAsync(owner.Client.PutAsync($"/custom/emoji/{fileId}", "/custom/emoji/{id}", new { name = "Party Time", parent }), HttpStatusCode.BadRequest, "FailedValidation");
        await ErrorAsync(owner.Client.PutAsync($"/custom/emoji/{fileId}", "/custom/emoji/{id}", new { name = "party", parent }), HttpStatusCode.BadRequest, "UnknownAttachment");
        Assert.Equal(0, (await member.Client.GetAsync($"/servers/{server}/emojis", "/servers/{target}/emojis")).Body.GetArrayLength());
        await ErrorAsync(member.Client.GetAsync($"/custom/emoji/{fileId}", "/custom/emoji/{emoji_id}"), HttpStatusCode.NotFound, "NotFound");
    }

    [Fact]
    public async Task Slowmode_makes_members_wait_but_not_those_who_may_bypass_it()
    {
        var (owner, member, _, channel) = await ServerWithMemberAsync();
        var edited = await owner.Client.PatchAsync($"/channels/{channel}", "/channels/{target}", new { slowmode = 60 });
        Assert.Equal(60, edited.Body.GetProperty("slowmode").GetInt32());
        await ErrorAsync(owner.Client.PatchAsync($"/channels/{channel}", "/channels/{target}", new { slowmode = 100_000 }), HttpStatusCode.BadRequest, "FailedValidation");

        await SendAsync(member, channel, new { content = "first" });
        // Stoat's published error catalogue has no slowmode error yet, so this answer is read without the schema check.
        using var http = api.Factory.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/channels/{channel}/messages") { Content = System.Net.Http.Json.JsonContent.Create(new { content = "too soon" }) };
        request.Headers.Add("X-Session-Token", member.Client.Token);
        using var refused = await http.SendAsync(request);
        var body = JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal((HttpStatusCode.TooManyRequests, "SlowmodeActive"), (refused.StatusCode, body.GetProperty("type").GetString()));
        Assert.InRange(body.GetProperty("retry_after").GetInt64(), 1, 60_000);
        var contents = (await owner.Client.GetAsync($"/channels/{channel}/messages?limit=5", Messages)).Body.EnumerateArray()
            .Select(m => m.TryGetProperty("content", out var c) ? c.GetString() : null).ToList();
        Assert.DoesNotContain("too soon", contents);

        // The owner holds every permission, BypassSlowmode included.
        await SendAsync(owner, channel, new { content = "one" });
        await SendAsync(owner, channel, new { content = "two" });
    }

    [Fact]
    public async Task A_send_claims_its_key_and_starts_its_slowmode_wait_in_one_Redis_script_and_a_refused_send_gives_its_key_back()
    {
        var (owner, member, _, channel) = await ServerWithMemberAsync();
        await owner.Client.PatchAsync($"/channels/{channel}", "/channels/{target}", new { slowmode = 60 });
        await using var monitor = await RedisMonitor.StartAsync(api.RedisConnectionString);

        using var http = api.Factory.CreateClient();
        async Task<(HttpStatusCode Status, string? Type)> SendWithKeyAsync(string key, string content)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/channels/{channel}/messages") { Content = System.Net.Http.Json.JsonContent.Create(new { content }) };
            request.Headers.Add("X-Session-Token", member.Client.Token);
            request.Headers.Add("Idempotency-Key", key);
            using var response = await http.SendAsync(request);
            var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            return (response.StatusCode, body.TryGetProperty("type", out var type) ? type.GetString() : null);
        }

        Assert.Equal((HttpStatusCode.OK, null), await SendWithKeyAsync("first", "first"));
        Assert.Equal((HttpStatusCode.Conflict, "DuplicateNonce"), await SendWithKeyAsync("first", "first again"));
        Assert.Equal((HttpStatusCode.TooManyRequests, "SlowmodeActive"), await SendWithKeyAsync("second", "too soon"));

        // Each send asked Redis once, by script: the checks' commands ran inside it, none was sent on its own.
        var commands = await monitor.StopAsync();
        string[] checks = ["\"set\"", "\"pttl\"", "\"del\""];
        bool IsCheck(string line) => checks.Any(c => line.Contains(c, StringComparison.OrdinalIgnoreCase));
        Assert.Contains(commands, line => IsCheck(line) && line.Contains("[0 lua]"));
        Assert.DoesNotContain(commands, line => IsCheck(line) && !line.Contains("[0 lua]"));

        // The send refused by slowmode gave its key back: once the wait is lifted, the same key sends.
        await owner.Client.PatchAsync($"/channels/{channel}", "/channels/{target}", new { slowmode = 0 });
        Assert.Equal((HttpStatusCode.OK, null), await SendWithKeyAsync("second", "now"));
    }

    /// <summary>Redis's <c>MONITOR</c> feed: every command the server runs, those run by a script marked <c>[0 lua]</c>.</summary>
    private sealed class RedisMonitor : IAsyncDisposable
    {
        private readonly System.Net.Sockets.TcpClient _client;
        private readonly List<string> _lines = [];
        private readonly Task _reading;

        private RedisMonitor(System.Net.Sockets.TcpClient client, StreamReader reader)
        {
            _client = client;
            _reading = Task.Run(async () =>
            {
                try
                {
                    while (await reader.ReadLineAsync() is { } line) lock (_lines) _lines.Add(line);
                }
                catch (Exception e) when (e is IOException or ObjectDisposedException)
                {
                    // Stopped.
                }
            });
        }

        public static async Task<RedisMonitor> StartAsync(string connectionString)
        {
            var options = StackExchange.Redis.ConfigurationOptions.Parse(connectionString);
            var endpoint = (System.Net.IPEndPoint)options.EndPoints[0];
            var client = new System.Net.Sockets.TcpClient();
            await client.ConnectAsync(endpoint);
            var stream = client.GetStream();
            var reader = new StreamReader(stream);
            await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes($"AUTH {options.Password}\r\nMONITOR\r\n"));
            // "+OK" for each.
            await reader.ReadLineAsync();
            await reader.ReadLineAsync();
            return new RedisMonitor(client, reader);
        }

        public async Task<IReadOnlyList<string>> StopAsync()
        {
            // Commands reach the feed as they run: let the last ones in.
            await Task.Delay(200);
            _client.Dispose();
            await _reading;
            lock (_lines) return [.. _lines];
        }

        public async ValueTask DisposeAsync()
        {
            _client.Dispose();
            await _reading;
        }
    }
}
