using System.Net;

namespace Spokes.Api.Tests;

/// <summary>A timeout outlasts leaving the server, as in Stoat: whoever comes back before it ends is still timed out.</summary>
[Collection(nameof(ApiCollection))]
public class TimeoutRejoinTests(ApiFixture api) : IAsyncLifetime
{
    private PublishedEvents _events = null!;

    public async Task InitializeAsync() => _events = await PublishedEvents.SubscribeAsync(api);

    public async Task DisposeAsync() => await _events.DisposeAsync();

    private const string MemberOperation = "/servers/{server}/members/{member}";

    private static string Id(StoatSession.Reply reply) => reply.Body.GetProperty("_id").GetString()!;

    private sealed record Club(OnboardedUser Owner, OnboardedUser Member, string Server, string General, string Invite);

    private async Task<Club> ClubAsync()
    {
        var owner = await OnboardedUser.CreateAsync(api, "warden");
        var member = await OnboardedUser.CreateAsync(api, "rowdy");
        var created = await owner.Client.PostAsync("/servers/create", "/servers/create", new { name = "Quiet Club" });
        var server = created.Body.GetProperty("server").GetProperty("_id").GetString()!;
        var general = created.Body.GetProperty("channels")[0].GetProperty("_id").GetString()!;
        var invite = Id(await owner.Client.PostAsync($"/channels/{general}/invites", "/channels/{target}/invites"));
        Assert.Equal(HttpStatusCode.OK, (await member.Client.PostAsync($"/invites/{invite}", "/invites/{target}")).Status);
        return new Club(owner, member, server, general, invite);
    }

    private static async Task<StoatSession.Reply> SendAsync(OnboardedUser user, string channel) =>
        await user.Client.PostAsync($"/channels/{channel}/messages", "/channels/{target}/messages", new { content = "hello again" });

    private static async Task RefusedToSendAsync(OnboardedUser user, string channel)
    {
        var refused = await SendAsync(user, channel);
        Assert.Equal((HttpStatusCode.Forbidden, "MissingPermission"), (refused.Status, refused.ErrorType));
        Assert.Equal("SendMessage", refused.Body.GetProperty("permission").GetString());
    }

    [Fact]
    public async Task A_timed_out_member_who_leaves_silently_and_rejoins_is_still_timed_out()
    {
        var (owner, member, server, general, invite) = await ClubAsync();
        var until = DateTimeOffset.UtcNow.AddHours(1);
        var role = (await owner.Client.PostAsync($"/servers/{server}/roles", "/servers/{target}/roles", new { name = "Regulars" })).Body.GetProperty("id").GetString()!;
        Assert.Equal(HttpStatusCode.OK, (await owner.Client.PatchAsync($"/servers/{server}/members/{member.Id}", MemberOperation,
            new { timeout = until, roles = new[] { role }, nickname = "Rowdy", can_publish = false })).Status);
        await RefusedToSendAsync(member, general);

        Assert.Equal(HttpStatusCode.NoContent, (await member.Client.DeleteAsync($"/servers/{server}?leave_silently=true", "/servers/{target}")).Status);
        // Gone as a member meanwhile: not listed, counted or found.
        var members = await owner.Client.GetAsync($"/servers/{server}/members", "/servers/{target}/members");
        Assert.DoesNotContain(member.Id, members.Body.GetProperty("members").EnumerateArray().Select(m => m.GetProperty("_id").GetProperty("user").GetString()));
        Assert.Equal(1, (await owner.Client.GetAsync($"/invites/{invite}", "/invites/{target}")).Body.GetProperty("member_count").GetInt32());
        Assert.Equal(HttpStatusCode.NotFound, (await owner.Client.GetAsync($"/servers/{server}/members/{member.Id}", "/servers/{target}/members/{member}")).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await member.Client.GetAsync($"/servers/{server}", "/servers/{target}")).Status);

        Assert.Equal(HttpStatusCode.OK, (await member.Client.PostAsync($"/invites/{invite}", "/invites/{target}")).Status);
        var joined = await _events.WaitForAsync(server, "ServerMemberJoin", e => e.GetProperty("user").GetString() == member.Id && e.GetProperty("member").TryGetProperty("timeout", out _));
        Assert.Equal(until, joined.GetProperty("member").GetProperty("timeout").GetDateTimeOffset());
        var rejoined = (await owner.Client.GetAsync($"/servers/{server}/members/{member.Id}", "/servers/{target}/members/{member}")).Body;
        Assert.Equal(until, rejoined.GetProperty("timeout").GetDateTimeOffset());
        Assert.False(rejoined.GetProperty("can_publish").GetBoolean());
        // What a member earns goes with them, as in Stoat.
        Assert.False(rejoined.TryGetProperty("roles", out _));
        Assert.False(rejoined.TryGetProperty("nickname", out _));
        await RefusedToSendAsync(member, general);

        Assert.Equal(HttpStatusCode.OK, (await owner.Client.PatchAsync($"/servers/{server}/members/{member.Id}", MemberOperation, new { remove = new[] { "Timeout" } })).Status);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(member, general)).Status);
    }

    [Fact]
    public async Task A_kick_or_a_ban_lifted_does_not_lift_the_timeout_but_a_member_with_none_comes_back_free()
    {
        var (owner, member, server, general, invite) = await ClubAsync();
        var path = $"/servers/{server}/members/{member.Id}";
        Assert.Equal(HttpStatusCode.OK, (await owner.Client.PatchAsync(path, MemberOperation, new { timeout = DateTimeOffset.UtcNow.AddHours(1) })).Status);

        Assert.Equal(HttpStatusCode.NoContent, (await owner.Client.DeleteAsync(path, "/servers/{target}/members/{member}")).Status);
        Assert.Equal(HttpStatusCode.OK, (await member.Client.PostAsync($"/invites/{invite}", "/invites/{target}")).Status);
        await RefusedToSendAsync(member, general);

        Assert.Equal(HttpStatusCode.OK, (await owner.Client.PutAsync($"/servers/{server}/bans/{member.Id}", "/servers/{server}/bans/{target}", new { reason = "again" })).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await member.Client.PostAsync($"/invites/{invite}", "/invites/{target}")).Status);
        Assert.Equal(HttpStatusCode.NoContent, (await owner.Client.DeleteAsync($"/servers/{server}/bans/{member.Id}", "/servers/{server}/bans/{target}")).Status);
        Assert.Equal(HttpStatusCode.OK, (await member.Client.PostAsync($"/invites/{invite}", "/invites/{target}")).Status);
        await RefusedToSendAsync(member, general);

        // Without a timeout, leaving forgets the member entirely.
        Assert.Equal(HttpStatusCode.OK, (await owner.Client.PatchAsync(path, MemberOperation, new { remove = new[] { "Timeout" } })).Status);
        Assert.Equal(HttpStatusCode.NoContent, (await member.Client.DeleteAsync($"/servers/{server}?leave_silently=true", "/servers/{target}")).Status);
        Assert.Equal(HttpStatusCode.OK, (await member.Client.PostAsync($"/invites/{invite}", "/invites/{target}")).Status);
        Assert.False((await owner.Client.GetAsync(path, "/servers/{target}/members/{member}")).Body.TryGetProperty("timeout", out _));
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(member, general)).Status);
    }
}
