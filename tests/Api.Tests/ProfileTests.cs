using System.Net;
using System.Text.Json;

namespace Spokes.Api.Tests;

[Collection(nameof(ApiCollection))]
public class ProfileTests(ApiFixture api) : IAsyncLifetime
{
    private PublishedEvents _events = null!;

    public async Task InitializeAsync() => _events = await PublishedEvents.SubscribeAsync(api);

    public async Task DisposeAsync() => await _events.DisposeAsync();

    private Task<OnboardedUser> OnboardedAsync(string username) => OnboardedUser.CreateAsync(api, username);

    private Task<JsonElement> UserUpdateAsync(string userId, Func<JsonElement, bool> match) => _events.WaitForAsync(userId, "UserUpdate", match);

    [Fact]
    public async Task A_user_edits_their_name_status_and_profile_and_everyone_watching_is_told()
    {
        var (alice, id, _) = await OnboardedAsync("alice");
        var edited = await alice.PatchAsync("/users/@me", "/users/{target}", new
        {
            display_name = "Alice A.",
            status = new { text = "writing tests", presence = "Focus" },
            profile = new { content = "Hello there" },
        });
        Assert.Equal(HttpStatusCode.OK, edited.Status);
        Assert.Equal("Alice A.", edited.Body.GetProperty("display_name").GetString());
        Assert.Equal("Focus", edited.Body.GetProperty("status").GetProperty("presence").GetString());
        Assert.Equal("Hello there", (await alice.GetAsync($"/users/{id}/profile", "/users/{target}/profile")).Body.GetProperty("content").GetString());

        var update = await UserUpdateAsync(id, e => e.GetProperty("data").TryGetProperty("display_name", out _));
        Assert.Equal(id, update.GetProperty("id").GetString());
        Assert.Equal("writing tests", update.GetProperty("data").GetProperty("status").GetProperty("text").GetString());
        Assert.Matches("^[0-9A-Z]{26}$", update.GetProperty("event_id").GetString());

        // Status merges: a new presence keeps the text.
        var idle = await alice.PatchAsync($"/users/{id}", "/users/{target}", new { status = new { presence = "Idle" } });
        Assert.Equal("writing tests", idle.Body.GetProperty("status").GetProperty("text").GetString());

        var cleared = await alice.PatchAsync("/users/@me", "/users/{target}", new { remove = new[] { "DisplayName", "StatusText" } });
        Assert.False(cleared.Body.TryGetProperty("display_name", out _));
        Assert.False(cleared.Body.GetProperty("status").TryGetProperty("text", out _));
        var clear = await UserUpdateAsync(id, e => e.GetProperty("clear").GetArrayLength() > 0);
        Assert.Equal(["DisplayName", "StatusText"], clear.GetProperty("clear").EnumerateArray().Select(f => f.GetString()));
    }

    [Theory]
    [InlineData("""{"display_name": "x"}""", HttpStatusCode.BadRequest, "FailedValidation")]
    [InlineData("""{"display_name": "two\nlines"}""", HttpStatusCode.BadRequest, "FailedValidation")]
    [InlineData("""{"status": {"presence": "Sleeping"}}""", HttpStatusCode.BadRequest, "FailedValidation")]
    [InlineData("""{"remove": ["Username"]}""", HttpStatusCode.BadRequest, "FailedValidation")]
    [InlineData("""{"badges": 1}""", HttpStatusCode.Forbidden, "NotPrivileged")]
    [InlineData("""{"avatar": "some-file-id"}""", HttpStatusCode.BadRequest, "UnknownAttachment")]
    public async Task Bad_edits_are_refused_and_change_nothing(string body, HttpStatusCode status, string type)
    {
        var (alice, id, _) = await OnboardedAsync("alice");
        await alice.PatchAsync("/users/@me", "/users/{target}", new { display_name = "Before" });
        using var request = new HttpRequestMessage(HttpMethod.Patch, "/users/@me") { Content = new StringContent(body) };
        request.Headers.Add("X-Session-Token", alice.Token);
        using var response = await api.Factory.CreateClient().SendAsync(request);
        Assert.Equal(status, response.StatusCode);
        Assert.Equal(type, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("type").GetString());
        Assert.Equal("Before", (await alice.GetAsync($"/users/{id}", "/users/{target}")).Body.GetProperty("display_name").GetString());
    }

    [Fact]
    public async Task Nobody_edits_another_user_and_profiles_are_for_friends()
    {
        var (alice, aliceId, aliceTag) = await OnboardedAsync("alice");
        var (bob, bobId, _) = await OnboardedAsync("bob");
        Assert.Equal((HttpStatusCode.NotFound, "NotFound"), await Status(alice.PatchAsync($"/users/{bobId}", "/users/{target}", new { display_name = "Hacked" })));
        Assert.Equal((HttpStatusCode.Forbidden, "MissingUserPermission"), await Status(alice.GetAsync($"/users/{bobId}/profile", "/users/{target}/profile")));

        await bob.PostAsync("/users/friend", "/users/friend", new { username = aliceTag });
        await alice.PutAsync($"/users/{bobId}/friend", "/users/{target}/friend");
        Assert.Equal(HttpStatusCode.OK, (await alice.GetAsync($"/users/{bobId}/profile", "/users/{target}/profile")).Status);
        Assert.Equal(HttpStatusCode.OK, (await bob.GetAsync($"/users/{aliceId}/profile", "/users/{target}/profile")).Status);
    }

    [Fact]
    public async Task Flags_are_public_and_an_unknown_user_has_none()
    {
        var anonymous = new StoatSession(api.Factory.CreateClient());
        Assert.Equal(0, (await anonymous.GetAsync($"/users/{Guid.NewGuid():N}/flags", "/users/{target}/flags")).Body.GetProperty("flags").GetInt32());
        var (_, id, _) = await OnboardedAsync("flagged");
        Assert.Equal(0, (await anonymous.GetAsync($"/users/{id}/flags", "/users/{target}/flags")).Body.GetProperty("flags").GetInt32());
    }

    private static async Task<(HttpStatusCode, string?)> Status(Task<StoatSession.Reply> call)
    {
        var reply = await call;
        return (reply.Status, reply.ErrorType);
    }
}

[Collection(nameof(ApiCollection))]
public class UsernameAndMutualTests(ApiFixture api)
{
    private Task<OnboardedUser> OnboardedAsync(string username) => OnboardedUser.CreateAsync(api, username);

    [Fact]
    public async Task A_username_changes_with_the_password_and_keeps_its_discriminator_when_free()
    {
        var alice = await OnboardedAsync("alice");
        var discriminator = alice.Tag.Split('#')[1];
        var newName = "a" + Guid.NewGuid().ToString("N")[..8];

        var wrong = await alice.Client.PatchAsync("/users/@me/username", "/users/@me/username", new { username = newName, password = "not the password" });
        Assert.Equal((HttpStatusCode.Unauthorized, "InvalidCredentials"), (wrong.Status, wrong.ErrorType));
        var invalid = await alice.Client.PatchAsync("/users/@me/username", "/users/@me/username", new { username = "no spaces", password = OnboardedUser.Password });
        Assert.Equal("InvalidUsername", invalid.ErrorType);
        Assert.Equal("alice", (await alice.Client.GetAsync("/users/@me", "/users/@me")).Body.GetProperty("username").GetString());

        var changed = await alice.Client.PatchAsync("/users/@me/username", "/users/@me/username", new { username = newName, password = OnboardedUser.Password });
        Assert.Equal((newName, discriminator), (changed.Body.GetProperty("username").GetString(), changed.Body.GetProperty("discriminator").GetString()));
    }

    [Fact]
    public async Task Mutual_friends_are_those_both_users_are_friends_with()
    {
        var alice = await OnboardedAsync("alice");
        var bob = await OnboardedAsync("bob");
        var carol = await OnboardedAsync("carol");
        var dave = await OnboardedAsync("dave");
        async Task BefriendAsync(OnboardedUser a, OnboardedUser b)
        {
            await a.Client.PostAsync("/users/friend", "/users/friend", new { username = b.Tag });
            await b.Client.PutAsync($"/users/{a.Id}/friend", "/users/{target}/friend");
        }
        await BefriendAsync(alice, bob);
        await BefriendAsync(alice, carol);
        await BefriendAsync(bob, carol);
        await BefriendAsync(alice, dave);

        var mutual = await alice.Client.GetAsync($"/users/{bob.Id}/mutual", "/users/{target}/mutual");
        Assert.Equal([carol.Id], mutual.Body.GetProperty("users").EnumerateArray().Select(u => u.GetString()));
        Assert.Empty(mutual.Body.GetProperty("servers").EnumerateArray());

        Assert.Equal("InvalidOperation", (await alice.Client.GetAsync($"/users/{alice.Id}/mutual", "/users/{target}/mutual")).ErrorType);
        var stranger = await OnboardedAsync("stranger");
        Assert.Equal("MissingUserPermission", (await stranger.Client.GetAsync($"/users/{alice.Id}/mutual", "/users/{target}/mutual")).ErrorType);
    }
}
