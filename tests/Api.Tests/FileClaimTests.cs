using System.Net;
using Microsoft.AspNetCore.Hosting;
using Spokes.Contracts.Files.V1;

namespace Spokes.Api.Tests;

/// <summary>
/// Files uploaded to Autumn are claimed by what uses them (over gRPC, from <see cref="FakeAutumn"/>) and stored as
/// Stoat's <c>File</c>; replaced and removed files are released; a file that cannot be claimed changes nothing.
/// </summary>
[Collection(nameof(ApiCollection))]
public class UserFileClaimTests(ApiFixture api) : IAsyncLifetime
{
    private PublishedEvents _events = null!;

    public async Task InitializeAsync() => _events = await PublishedEvents.SubscribeAsync(api);

    public async Task DisposeAsync() => await _events.DisposeAsync();

    private FakeAutumn Autumn => api.Autumn;

    [Fact]
    public async Task An_avatar_is_claimed_stored_as_Stoats_File_and_told_in_UserUpdate()
    {
        var (alice, id, _) = await OnboardedUser.CreateAsync(api, "alice");
        var file = Autumn.Upload(id, "avatars", width: 256, height: 128);

        var edited = await alice.PatchAsync("/users/@me", "/users/{target}", new { avatar = file });

        Assert.Equal(HttpStatusCode.OK, edited.Status);
        var avatar = edited.Body.GetProperty("avatar");
        Assert.Equal(file, avatar.GetProperty("_id").GetString());
        Assert.Equal("avatars", avatar.GetProperty("tag").GetString());
        Assert.Equal("picture.png", avatar.GetProperty("filename").GetString());
        Assert.Equal("image/png", avatar.GetProperty("content_type").GetString());
        Assert.Equal(1234, avatar.GetProperty("size").GetInt64());
        Assert.Equal("""{"type":"Image","width":256,"height":128}""", avatar.GetProperty("metadata").GetRawText());
        Assert.Equal(new FileUse { Kind = FileUseKind.UserAvatar, Id = id }, Autumn.UseOf(file));
        var update = await _events.WaitForAsync(id, "UserUpdate", e => e.GetProperty("data").TryGetProperty("avatar", out _));
        Assert.Equal(file, update.GetProperty("data").GetProperty("avatar").GetProperty("_id").GetString());
        Assert.Equal(file, (await alice.GetAsync($"/users/{id}", "/users/{target}")).Body.GetProperty("avatar").GetProperty("_id").GetString());
    }

    [Fact]
    public async Task A_replaced_avatar_and_a_removed_background_are_released()
    {
        var (alice, id, _) = await OnboardedUser.CreateAsync(api, "alice");
        var first = Autumn.Upload(id, "avatars");
        var second = Autumn.Upload(id, "avatars");
        var background = Autumn.Upload(id, "backgrounds");
        await alice.PatchAsync("/users/@me", "/users/{target}", new { avatar = first, profile = new { background } });
        Assert.Equal(background, (await alice.GetAsync($"/users/{id}/profile", "/users/{target}/profile")).Body
            .GetProperty("background").GetProperty("_id").GetString());
        Assert.False(Autumn.IsDeleted(first));

        await alice.PatchAsync("/users/@me", "/users/{target}", new { avatar = second });
        Assert.True(Autumn.IsDeleted(first));
        Assert.False(Autumn.IsDeleted(second));

        var removed = await alice.PatchAsync("/users/@me", "/users/{target}", new { remove = new[] { "Avatar", "ProfileBackground" } });
        Assert.False(removed.Body.TryGetProperty("avatar", out _));
        Assert.True(Autumn.IsDeleted(second));
        Assert.True(Autumn.IsDeleted(background));
        Assert.False((await alice.GetAsync($"/users/{id}/profile", "/users/{target}/profile")).Body.TryGetProperty("background", out _));
    }

    [Fact]
    public async Task A_file_that_cannot_be_claimed_is_an_unknown_attachment_and_changes_nothing()
    {
        var (alice, id, _) = await OnboardedUser.CreateAsync(api, "alice");
        var (_, bobId, _) = await OnboardedUser.CreateAsync(api, "bob");
        var current = Autumn.Upload(id, "avatars");
        await alice.PatchAsync("/users/@me", "/users/{target}", new { avatar = current });
        var bobs = Autumn.Upload(bobId, "avatars");
        var background = Autumn.Upload(id, "backgrounds");
        var unused = Autumn.Upload(id, "avatars");

        foreach (var (body, why) in new (object, string)[]
        {
            (new { avatar = bobs }, "someone else's file"),
            (new { avatar = current }, "a file used already"),
            (new { avatar = background }, "a file of another tag"),
            (new { avatar = "01JNOTAFILE0000000000000000" }, "an unknown id"),
            (new { display_name = "Changed", avatar = unused, profile = new { background = bobs } }, "a good file with a bad one"),
        })
        {
            var refused = await alice.PatchAsync("/users/@me", "/users/{target}", body);
            Assert.True((HttpStatusCode.BadRequest, "UnknownAttachment") == (refused.Status, refused.ErrorType), why);
        }

        var me = (await alice.GetAsync($"/users/{id}", "/users/{target}")).Body;
        Assert.Equal(current, me.GetProperty("avatar").GetProperty("_id").GetString());
        Assert.False(me.TryGetProperty("display_name", out _));
        Assert.Null(Autumn.UseOf(bobs));
        Assert.Null(Autumn.UseOf(background));
        Assert.False(Autumn.IsDeleted(current));
        // Claimed for a moment with the background that failed, then released: it is not left claimed by an edit that was refused.
        Assert.True(Autumn.UseOf(unused) is null || Autumn.IsDeleted(unused));
    }
}

[Collection(nameof(ApiCollection))]
public class MessageAttachmentClaimTests(ApiFixture api) : IAsyncLifetime
{
    private const string Messages = "/channels/{target}/messages";

    private PublishedEvents _events = null!;

    public async Task InitializeAsync() => _events = await PublishedEvents.SubscribeAsync(api);

    public async Task DisposeAsync() => await _events.DisposeAsync();

    private FakeAutumn Autumn => api.Autumn;

    private async Task<(OnboardedUser Owner, string Server, string Channel)> ServerAsync()
    {
        var owner = await OnboardedUser.CreateAsync(api, "owner");
        var created = await owner.Client.PostAsync("/servers/create", "/servers/create", new { name = "Files" });
        return (owner, created.Body.GetProperty("server").GetProperty("_id").GetString()!, created.Body.GetProperty("channels")[0].GetProperty("_id").GetString()!);
    }

    [Fact]
    public async Task A_message_carries_its_attachments_as_Stoats_File_in_the_reply_the_event_and_history()
    {
        var (owner, server, channel) = await ServerAsync();
        var picture = Autumn.Upload(owner.Id, "attachments", "cat.png", "image/png", 640, 480);
        var notes = Autumn.Upload(owner.Id, "attachments", "notes.txt", "text/plain");

        var sent = await owner.Client.PostAsync($"/channels/{channel}/messages", Messages, new { content = "two files", attachments = new[] { picture, notes } });

        Assert.Equal(HttpStatusCode.OK, sent.Status);
        var id = sent.Body.GetProperty("_id").GetString()!;
        var attachments = sent.Body.GetProperty("attachments");
        Assert.Equal([picture, notes], attachments.EnumerateArray().Select(a => a.GetProperty("_id").GetString()));
        Assert.Equal("""{"type":"Image","width":640,"height":480}""", attachments[0].GetProperty("metadata").GetRawText());
        Assert.Equal("""{"type":"File"}""", attachments[1].GetProperty("metadata").GetRawText());
        Assert.Equal("notes.txt", attachments[1].GetProperty("filename").GetString());
        Assert.Equal(id, attachments[0].GetProperty("message_id").GetString());
        Assert.Equal(new FileUse { Kind = FileUseKind.Message, Id = id, ServerId = server }, Autumn.UseOf(picture));

        var message = await _events.WaitForAsync(channel, "Message", e => e.GetProperty("_id").GetString() == id);
        Assert.Equal(640, message.GetProperty("attachments")[0].GetProperty("metadata").GetProperty("width").GetInt32());
        var fetched = await owner.Client.GetAsync($"/channels/{channel}/messages/{id}", "/channels/{target}/messages/{msg}");
        Assert.Equal(attachments.GetRawText(), fetched.Body.GetProperty("attachments").GetRawText());
    }

    [Fact]
    public async Task Attachments_that_cannot_be_claimed_send_nothing_and_claim_nothing()
    {
        var (owner, _, channel) = await ServerAsync();
        var stranger = await OnboardedUser.CreateAsync(api, "stranger");
        var good = Autumn.Upload(owner.Id, "attachments");
        var theirs = Autumn.Upload(stranger.Id, "attachments");
        var avatar = Autumn.Upload(owner.Id, "avatars");
        var used = Autumn.Upload(owner.Id, "attachments");
        await owner.Client.PostAsync($"/channels/{channel}/messages", Messages, new { attachments = new[] { used } });

        foreach (var ids in new[] { new[] { good, theirs }, [good, avatar], [good, used], [good, "01JNOTAFILE0000000000000000"], [good, good] })
        {
            var refused = await owner.Client.PostAsync($"/channels/{channel}/messages", Messages, new { content = "refused", attachments = ids });
            Assert.Equal((HttpStatusCode.BadRequest, "UnknownAttachment"), (refused.Status, refused.ErrorType));
        }
        var history = await owner.Client.GetAsync($"/channels/{channel}/messages", Messages);
        Assert.DoesNotContain(history.Body.EnumerateArray(), m => m.TryGetProperty("content", out var c) && c.GetString() == "refused");
        Assert.Null(Autumn.UseOf(good));
        Assert.False(Autumn.IsDeleted(good));
        Assert.Null(Autumn.UseOf(theirs));
        Assert.Null(Autumn.UseOf(avatar));

        // The file that was refused in bad company can still be sent.
        var sent = await owner.Client.PostAsync($"/channels/{channel}/messages", Messages, new { attachments = new[] { good } });
        Assert.Equal(HttpStatusCode.OK, sent.Status);
    }

    [Fact]
    public async Task A_member_who_may_not_upload_claims_nothing()
    {
        var (owner, _, channel) = await ServerAsync();
        var member = await OnboardedUser.CreateAsync(api, "member");
        var invite = await owner.Client.PostAsync($"/channels/{channel}/invites", "/channels/{target}/invites");
        await member.Client.PostAsync($"/invites/{invite.Body.GetProperty("_id").GetString()}", "/invites/{target}");
        var denied = await owner.Client.PutAsync($"/channels/{channel}/permissions/default", "/channels/{target}/permissions/default",
            new { permissions = new { allow = 0UL, deny = (ulong)Permissions.ChannelPermission.UploadFiles } });
        Assert.Equal(HttpStatusCode.OK, denied.Status);
        var file = Autumn.Upload(member.Id, "attachments");

        var refused = await member.Client.PostAsync($"/channels/{channel}/messages", Messages, new { attachments = new[] { file } });

        Assert.Equal((HttpStatusCode.Forbidden, "MissingPermission"), (refused.Status, refused.ErrorType));
        Assert.Null(Autumn.UseOf(file));
    }

    [Fact]
    public async Task Deleted_messages_release_their_attachments()
    {
        var (owner, _, channel) = await ServerAsync();
        var one = Autumn.Upload(owner.Id, "attachments");
        var two = Autumn.Upload(owner.Id, "attachments");
        var three = Autumn.Upload(owner.Id, "attachments");
        var first = (await owner.Client.PostAsync($"/channels/{channel}/messages", Messages, new { attachments = new[] { one } })).Body.GetProperty("_id").GetString();
        var second = (await owner.Client.PostAsync($"/channels/{channel}/messages", Messages, new { attachments = new[] { two, three } })).Body.GetProperty("_id").GetString();

        await owner.Client.DeleteAsync($"/channels/{channel}/messages/{first}", "/channels/{target}/messages/{msg}");
        Assert.True(Autumn.IsDeleted(one));
        Assert.False(Autumn.IsDeleted(two));

        await owner.Client.SendJsonAsync(HttpMethod.Delete, $"/channels/{channel}/messages/bulk", "/channels/{target}/messages/bulk", new { ids = new[] { second } });
        Assert.True(Autumn.IsDeleted(two));
        Assert.True(Autumn.IsDeleted(three));
    }
}

[Collection(nameof(ApiCollection))]
public class CommunityFileClaimTests(ApiFixture api) : IAsyncLifetime
{
    private PublishedEvents _events = null!;

    public async Task InitializeAsync() => _events = await PublishedEvents.SubscribeAsync(api);

    public async Task DisposeAsync() => await _events.DisposeAsync();

    private FakeAutumn Autumn => api.Autumn;

    private static string Id(StoatSession.Reply reply) => reply.Body.GetProperty("_id").GetString()!;

    /// <summary>An owner's server with a member who joined through an invite.</summary>
    private async Task<(OnboardedUser Owner, OnboardedUser Member, string Server, string Channel)> ServerWithMemberAsync()
    {
        var owner = await OnboardedUser.CreateAsync(api, "owner");
        var member = await OnboardedUser.CreateAsync(api, "member");
        var created = await owner.Client.PostAsync("/servers/create", "/servers/create", new { name = "Files" });
        var channel = created.Body.GetProperty("channels")[0].GetProperty("_id").GetString()!;
        var invite = await owner.Client.PostAsync($"/channels/{channel}/invites", "/channels/{target}/invites");
        Assert.Equal(HttpStatusCode.OK, (await member.Client.PostAsync($"/invites/{Id(invite)}", "/invites/{target}")).Status);
        return (owner, member, created.Body.GetProperty("server").GetProperty("_id").GetString()!, channel);
    }

    private static void Refused(StoatSession.Reply reply, HttpStatusCode status, string type) => Assert.Equal((status, type), (reply.Status, reply.ErrorType));

    [Fact]
    public async Task A_server_icon_and_banner_are_claimed_replaced_removed_and_released_with_the_server()
    {
        var (owner, member, server, _) = await ServerWithMemberAsync();
        var icon = Autumn.Upload(owner.Id, "icons");
        var banner = Autumn.Upload(owner.Id, "banners");

        var edited = await owner.Client.PatchAsync($"/servers/{server}", "/servers/{target}", new { icon, banner });
        Assert.Equal(HttpStatusCode.OK, edited.Status);
        Assert.Equal(icon, edited.Body.GetProperty("icon").GetProperty("_id").GetString());
        Assert.Equal(server, edited.Body.GetProperty("banner").GetProperty("server_id").GetString());
        Assert.Equal(new FileUse { Kind = FileUseKind.ServerIcon, Id = server, ServerId = server }, Autumn.UseOf(icon));
        var update = await _events.WaitForAsync(server, "ServerUpdate", e => e.GetProperty("data").TryGetProperty("icon", out _));
        Assert.Equal(banner, update.GetProperty("data").GetProperty("banner").GetProperty("_id").GetString());
        Assert.Equal(icon, (await member.Client.GetAsync($"/servers/{server}", "/servers/{target}")).Body.GetProperty("icon").GetProperty("_id").GetString());

        // A member without ManageServer changes nothing and claims nothing.
        var theirs = Autumn.Upload(member.Id, "icons");
        Refused(await member.Client.PatchAsync($"/servers/{server}", "/servers/{target}", new { icon = theirs }), HttpStatusCode.Forbidden, "MissingPermission");
        Assert.Null(Autumn.UseOf(theirs));
        // Nor does a file of the wrong tag, or someone else's.
        Refused(await owner.Client.PatchAsync($"/servers/{server}", "/servers/{target}", new { name = "Renamed", icon = Autumn.Upload(owner.Id, "banners") }),
            HttpStatusCode.BadRequest, "UnknownAttachment");
        Refused(await owner.Client.PatchAsync($"/servers/{server}", "/servers/{target}", new { icon = theirs }), HttpStatusCode.BadRequest, "UnknownAttachment");
        Assert.Equal("Files", (await owner.Client.GetAsync($"/servers/{server}", "/servers/{target}")).Body.GetProperty("name").GetString());

        var second = Autumn.Upload(owner.Id, "icons");
        await owner.Client.PatchAsync($"/servers/{server}", "/servers/{target}", new { icon = second });
        Assert.True(Autumn.IsDeleted(icon));
        var removed = await owner.Client.PatchAsync($"/servers/{server}", "/servers/{target}", new { remove = new[] { "Banner" } });
        Assert.False(removed.Body.TryGetProperty("banner", out _));
        Assert.True(Autumn.IsDeleted(banner));

        await owner.Client.DeleteAsync($"/servers/{server}", "/servers/{target}");
        Assert.True(Autumn.IsDeleted(second));
    }

    [Fact]
    public async Task A_channel_icon_is_claimed_with_ManageChannel_and_released_when_replaced_or_the_channel_goes()
    {
        var (owner, member, server, channel) = await ServerWithMemberAsync();
        var icon = Autumn.Upload(owner.Id, "icons");
        var edited = await owner.Client.PatchAsync($"/channels/{channel}", "/channels/{target}", new { icon });
        Assert.Equal(HttpStatusCode.OK, edited.Status);
        Assert.Equal(icon, edited.Body.GetProperty("icon").GetProperty("_id").GetString());
        Assert.Equal(new FileUse { Kind = FileUseKind.ChannelIcon, Id = channel, ServerId = server }, Autumn.UseOf(icon));
        await _events.WaitForAsync(channel, "ChannelUpdate", e => e.GetProperty("data").TryGetProperty("icon", out _));

        var theirs = Autumn.Upload(member.Id, "icons");
        Refused(await member.Client.PatchAsync($"/channels/{channel}", "/channels/{target}", new { icon = theirs }), HttpStatusCode.Forbidden, "MissingPermission");
        Assert.Null(Autumn.UseOf(theirs));
        Refused(await owner.Client.PatchAsync($"/channels/{channel}", "/channels/{target}", new { icon }), HttpStatusCode.BadRequest, "UnknownAttachment");
        Assert.False(Autumn.IsDeleted(icon));

        var second = Autumn.Upload(owner.Id, "icons");
        await owner.Client.PatchAsync($"/channels/{channel}", "/channels/{target}", new { icon = second });
        Assert.True(Autumn.IsDeleted(icon));
        await owner.Client.DeleteAsync($"/channels/{channel}", "/channels/{target}");
        Assert.True(Autumn.IsDeleted(second));
    }

    [Fact]
    public async Task A_group_is_created_with_an_icon()
    {
        var owner = await OnboardedUser.CreateAsync(api, "owner");
        var icon = Autumn.Upload(owner.Id, "icons");
        var group = await owner.Client.PostAsync("/channels/create", "/channels/create", new { name = "Pictures", icon });
        Assert.Equal(HttpStatusCode.OK, group.Status);
        Assert.Equal(icon, group.Body.GetProperty("icon").GetProperty("_id").GetString());
        Refused(await owner.Client.PostAsync("/channels/create", "/channels/create", new { name = "Again", icon }), HttpStatusCode.BadRequest, "UnknownAttachment");
    }

    [Fact]
    public async Task A_member_sets_their_own_server_avatar_and_no_one_else_can()
    {
        var (owner, member, server, _) = await ServerWithMemberAsync();
        var avatar = Autumn.Upload(member.Id, "avatars");
        var edited = await member.Client.PatchAsync($"/servers/{server}/members/{member.Id}", "/servers/{server}/members/{member}", new { avatar });
        Assert.Equal(HttpStatusCode.OK, edited.Status);
        Assert.Equal(avatar, edited.Body.GetProperty("avatar").GetProperty("_id").GetString());
        Assert.Equal(new FileUse { Kind = FileUseKind.MemberAvatar, Id = member.Id, ServerId = server }, Autumn.UseOf(avatar));

        var ownersFile = Autumn.Upload(owner.Id, "avatars");
        Refused(await owner.Client.PatchAsync($"/servers/{server}/members/{member.Id}", "/servers/{server}/members/{member}", new { avatar = ownersFile }),
            HttpStatusCode.BadRequest, "InvalidOperation");
        Assert.Null(Autumn.UseOf(ownersFile));

        await member.Client.PatchAsync($"/servers/{server}/members/{member.Id}", "/servers/{server}/members/{member}", new { remove = new[] { "Avatar" } });
        Assert.True(Autumn.IsDeleted(avatar));
    }

    [Fact]
    public async Task A_webhook_avatar_is_claimed_replaced_and_released_with_the_webhook()
    {
        var (user, _, _, channel) = await ServerWithMemberAsync();
        // Webhooks are off unless the operator turns them on.
        var owner = user with { Client = new StoatSession(api.Factory.WithWebHostBuilder(web => web.UseSetting("Api:WebhooksEnabled", "true")).CreateClient())
        {
            Token = user.Client.Token,
        } };
        var avatar = Autumn.Upload(owner.Id, "avatars");
        var created = await owner.Client.PostAsync($"/channels/{channel}/webhooks", "/channels/{target}/webhooks", new { name = "Hook", avatar });
        Assert.Equal(HttpStatusCode.OK, created.Status);
        Assert.Equal(avatar, created.Body.GetProperty("avatar").GetProperty("_id").GetString());
        var webhook = created.Body.GetProperty("id").GetString();

        Refused(await owner.Client.PatchAsync($"/webhooks/{webhook}", "/webhooks/{webhook_id}", new { avatar = Autumn.Upload(owner.Id, "icons") }),
            HttpStatusCode.BadRequest, "UnknownAttachment");
        var second = Autumn.Upload(owner.Id, "avatars");
        var edited = await owner.Client.PatchAsync($"/webhooks/{webhook}", "/webhooks/{webhook_id}", new { avatar = second });
        Assert.Equal(second, edited.Body.GetProperty("avatar").GetProperty("_id").GetString());
        Assert.True(Autumn.IsDeleted(avatar));

        await owner.Client.DeleteAsync($"/webhooks/{webhook}", "/webhooks/{webhook_id}");
        Assert.True(Autumn.IsDeleted(second));
    }

    [Fact]
    public async Task A_custom_emoji_is_made_from_an_upload_fetched_reacted_with_and_deleted()
    {
        var (owner, member, server, channel) = await ServerWithMemberAsync();
        var image = Autumn.Upload(owner.Id, "emojis", "party.gif", "image/gif");
        var parent = new { type = "Server", id = server };

        var created = await owner.Client.PutAsync($"/custom/emoji/{image}", "/custom/emoji/{id}", new { name = "party", parent, nsfw = false });

        Assert.Equal(HttpStatusCode.OK, created.Status);
        Assert.Equal((image, "party", owner.Id, true), (Id(created), created.Body.GetProperty("name").GetString(),
            created.Body.GetProperty("creator_id").GetString(), created.Body.GetProperty("animated").GetBoolean()));
        Assert.Equal(new FileUse { Kind = FileUseKind.Emoji, Id = image, ServerId = server }, Autumn.UseOf(image));
        await _events.WaitForAsync(server, "EmojiCreate", e => e.GetProperty("_id").GetString() == image);
        Assert.Equal("party", (await member.Client.GetAsync($"/custom/emoji/{image}", "/custom/emoji/{emoji_id}")).Body.GetProperty("name").GetString());
        var listed = await member.Client.GetAsync($"/servers/{server}/emojis", "/servers/{target}/emojis");
        Assert.Equal(image, listed.Body[0].GetProperty("_id").GetString());

        var message = Id(await member.Client.PostAsync($"/channels/{channel}/messages", "/channels/{target}/messages", new { content = "party time" }));
        Assert.Equal(HttpStatusCode.NoContent,
            (await member.Client.PutAsync($"/channels/{channel}/messages/{message}/reactions/{image}", "/channels/{target}/messages/{msg}/reactions/{emoji}")).Status);
        var reacted = await member.Client.GetAsync($"/channels/{channel}/messages/{message}", "/channels/{target}/messages/{msg}");
        Assert.Equal(member.Id, reacted.Body.GetProperty("reactions").GetProperty(image)[0].GetString());

        Assert.Equal(HttpStatusCode.NoContent, (await owner.Client.DeleteAsync($"/custom/emoji/{image}", "/custom/emoji/{emoji_id}")).Status);
        Assert.Equal("Detached", (await member.Client.GetAsync($"/custom/emoji/{image}", "/custom/emoji/{emoji_id}")).Body.GetProperty("parent").GetProperty("type").GetString());
    }

    [Fact]
    public async Task An_emoji_needs_ManageCustomisation_a_member_and_an_unused_emoji_upload_of_the_actors()
    {
        var (owner, member, server, _) = await ServerWithMemberAsync();
        var outsider = await OnboardedUser.CreateAsync(api, "outsider");
        var parent = new { type = "Server", id = server };

        var membersImage = Autumn.Upload(member.Id, "emojis");
        Refused(await member.Client.PutAsync($"/custom/emoji/{membersImage}", "/custom/emoji/{id}", new { name = "mine", parent }),
            HttpStatusCode.Forbidden, "MissingPermission");
        var outsidersImage = Autumn.Upload(outsider.Id, "emojis");
        Refused(await outsider.Client.PutAsync($"/custom/emoji/{outsidersImage}", "/custom/emoji/{id}", new { name = "mine", parent }),
            HttpStatusCode.Forbidden, "MissingPermission");
        Assert.Null(Autumn.UseOf(membersImage));
        Assert.Null(Autumn.UseOf(outsidersImage));

        // Someone else's upload, an upload of another tag, an unknown id.
        foreach (var file in new[] { membersImage, Autumn.Upload(owner.Id, "icons"), "01JNOTAFILE0000000000000000" })
            Refused(await owner.Client.PutAsync($"/custom/emoji/{file}", "/custom/emoji/{id}", new { name = "bad", parent }), HttpStatusCode.BadRequest, "UnknownAttachment");
        Assert.Equal(0, (await owner.Client.GetAsync($"/servers/{server}/emojis", "/servers/{target}/emojis")).Body.GetArrayLength());
        Assert.Null(Autumn.UseOf(membersImage));

        // A file twice: the second emoji is refused, the first stays.
        var image = Autumn.Upload(owner.Id, "emojis");
        Assert.Equal(HttpStatusCode.OK, (await owner.Client.PutAsync($"/custom/emoji/{image}", "/custom/emoji/{id}", new { name = "once", parent })).Status);
        Assert.NotEqual(HttpStatusCode.OK, (await owner.Client.PutAsync($"/custom/emoji/{image}", "/custom/emoji/{id}", new { name = "twice", parent })).Status);
        Assert.Equal("once", (await owner.Client.GetAsync($"/custom/emoji/{image}", "/custom/emoji/{emoji_id}")).Body.GetProperty("name").GetString());
    }

    [Fact]
    public async Task A_reported_message_keeps_its_attachments_as_evidence()
    {
        var (owner, member, _, channel) = await ServerWithMemberAsync();
        var file = Autumn.Upload(member.Id, "attachments");
        var message = Id(await member.Client.PostAsync($"/channels/{channel}/messages", "/channels/{target}/messages", new { attachments = new[] { file } }));

        var reported = await owner.Client.PostAsync("/safety/report", "/safety/report",
            new { content = new { type = "Message", id = message, report_reason = "Illegal" } });

        Assert.Equal(HttpStatusCode.NoContent, reported.Status);
        Assert.True(Autumn.IsReported(file));
    }
}
