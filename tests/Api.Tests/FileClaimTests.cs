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
