using System.Net;
using System.Text.Json;

namespace Spokes.Api.Tests;

[Collection(nameof(ApiCollection))]
public class RelationshipTests(ApiFixture api) : IAsyncLifetime
{
    private PublishedEvents _events = null!;

    public async Task InitializeAsync() => _events = await PublishedEvents.SubscribeAsync(api);

    public async Task DisposeAsync() => await _events.DisposeAsync();

    private Task<OnboardedUser> OnboardedAsync(string username) => OnboardedUser.CreateAsync(api, username);

    private static string Relationship(StoatSession.Reply reply) => reply.Body.GetProperty("relationship").GetString()!;

    private Task<JsonElement> EventForAsync(string userId, string aboutUserId, string relationship) =>
        _events.WaitForAsync(userId + "!", "UserRelationship", e =>
            e.GetProperty("user").GetProperty("_id").GetString() == aboutUserId
            && e.GetProperty("user").GetProperty("relationship").GetString() == relationship);

    [Fact]
    public async Task A_friend_request_is_sent_by_tag_seen_by_both_sides_accepted_and_removed()
    {
        var alice = await OnboardedAsync("alice");
        var bob = await OnboardedAsync("bob");

        var sent = await alice.Client.PostAsync("/users/friend", "/users/friend", new { username = bob.Tag });
        Assert.Equal((bob.Id, "Outgoing"), (sent.Body.GetProperty("_id").GetString(), Relationship(sent)));
        Assert.Equal("Incoming", Relationship(await bob.Client.GetAsync($"/users/{alice.Id}", "/users/{target}")));
        var published = await EventForAsync(alice.Id, bob.Id, "Outgoing");
        Assert.Equal(("UserRelationship", alice.Id), (published.GetProperty("type").GetString(), published.GetProperty("id").GetString()));
        await EventForAsync(bob.Id, alice.Id, "Incoming");

        Assert.Equal("AlreadySentRequest", (await alice.Client.PostAsync("/users/friend", "/users/friend", new { username = bob.Tag })).ErrorType);
        var accepted = await bob.Client.PutAsync($"/users/{alice.Id}/friend", "/users/{target}/friend");
        Assert.Equal("Friend", Relationship(accepted));
        Assert.Equal("Friend", Relationship(await alice.Client.GetAsync($"/users/{bob.Id}", "/users/{target}")));
        await EventForAsync(alice.Id, bob.Id, "Friend");
        Assert.Equal("AlreadyFriends", (await alice.Client.PostAsync("/users/friend", "/users/friend", new { username = bob.Tag })).ErrorType);

        Assert.Equal("None", Relationship(await alice.Client.DeleteAsync($"/users/{bob.Id}/friend", "/users/{target}/friend")));
        await EventForAsync(bob.Id, alice.Id, "None");
        var stranger = await alice.Client.GetAsync($"/users/{bob.Id}", "/users/{target}");
        Assert.Equal((HttpStatusCode.Forbidden, "MissingUserPermission"), (stranger.Status, stranger.ErrorType));
    }

    [Fact]
    public async Task Blocking_stops_requests_both_ways_and_unblocking_keeps_the_other_sides_block()
    {
        var alice = await OnboardedAsync("alice");
        var bob = await OnboardedAsync("bob");

        Assert.Equal("Blocked", Relationship(await alice.Client.PutAsync($"/users/{bob.Id}/block", "/users/{target}/block")));
        Assert.Equal("BlockedOther", Relationship(await bob.Client.GetAsync($"/users/{alice.Id}", "/users/{target}")));
        var refused = await bob.Client.PostAsync("/users/friend", "/users/friend", new { username = alice.Tag });
        Assert.Equal((HttpStatusCode.Forbidden, "BlockedByOther"), (refused.Status, refused.ErrorType));
        Assert.Equal("Blocked", (await alice.Client.PostAsync("/users/friend", "/users/friend", new { username = bob.Tag })).ErrorType);

        Assert.Equal("Blocked", Relationship(await bob.Client.PutAsync($"/users/{alice.Id}/block", "/users/{target}/block")));
        Assert.Equal("BlockedOther", Relationship(await alice.Client.DeleteAsync($"/users/{bob.Id}/block", "/users/{target}/block")));
        Assert.Equal("Blocked", Relationship(await bob.Client.GetAsync($"/users/{alice.Id}", "/users/{target}")));
        Assert.Equal("None", Relationship(await bob.Client.DeleteAsync($"/users/{alice.Id}/block", "/users/{target}/block")));
        // With no block left either way, a request goes through again.
        Assert.Equal("Outgoing", Relationship(await alice.Client.PutAsync($"/users/{bob.Id}/friend", "/users/{target}/friend")));
    }

    [Fact]
    public async Task Requests_to_nobody_malformed_tags_and_too_many_pending_requests_are_refused()
    {
        var alice = await OnboardedAsync("alice");
        Assert.Equal((HttpStatusCode.NotFound, "UnknownUser"), await Refusal(alice, new { username = "nobody#0001" }));
        Assert.Equal((HttpStatusCode.BadRequest, "InvalidProperty"), await Refusal(alice, new { username = "no-discriminator" }));
        var unknown = await alice.Client.PutAsync($"/users/{Guid.NewGuid():N}/friend", "/users/{target}/friend");
        Assert.Equal((HttpStatusCode.NotFound, "UnknownUser"), (unknown.Status, unknown.ErrorType));

        // A new account may have five requests pending.
        for (var i = 0; i < 5; i++)
        {
            var other = await OnboardedAsync($"pending{i}");
            Assert.Equal("Outgoing", Relationship(await alice.Client.PostAsync("/users/friend", "/users/friend", new { username = other.Tag })));
        }
        var sixth = await OnboardedAsync("pending5");
        var refused = await alice.Client.PostAsync("/users/friend", "/users/friend", new { username = sixth.Tag });
        Assert.Equal((HttpStatusCode.BadRequest, "TooManyPendingFriendRequests", 5), (refused.Status, refused.ErrorType, refused.Body.GetProperty("max").GetInt32()));
        Assert.Equal("MissingUserPermission", (await alice.Client.GetAsync($"/users/{sixth.Id}", "/users/{target}")).ErrorType);
    }

    private static async Task<(HttpStatusCode, string?)> Refusal(OnboardedUser person, object body)
    {
        var reply = await person.Client.PostAsync("/users/friend", "/users/friend", body);
        return (reply.Status, reply.ErrorType);
    }

    [Fact]
    public async Task Befriending_yourself_has_no_effect()
    {
        var alice = await OnboardedAsync("alice");
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/users/{alice.Id}/friend");
        request.Headers.Add("X-Session-Token", alice.Client.Token);
        using var response = await api.Factory.CreateClient().SendAsync(request);
        // Stoat answers NoEffect with 400 (a 200 until its fix "use correct response for NoEffect errors", #732).
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("NoEffect", JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("type").GetString());
    }
}
