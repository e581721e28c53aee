using System.Net;
using System.Text.Json;
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
