using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Spokes.Api.Community;
using Spokes.Api.Storage;
using Spokes.Permissions;

namespace Spokes.Api.Tests;

/// <summary>
/// Two writes to the same object at once must both hold: each round runs two changes to different fields
/// together and then reads what was stored. A write built from an earlier read of the whole object would
/// put back what the other changed.
/// </summary>
[Collection(nameof(ApiCollection))]
public class LostUpdateTests(ApiFixture api)
{
    private const int Rounds = 40;

    private Task<OnboardedUser> OnboardedAsync(string username) => OnboardedUser.CreateAsync(api, username);

    private static string Id(StoatSession.Reply reply) => reply.Body.GetProperty("_id").GetString()!;

    /// <summary>Runs <paramref name="first"/> and <paramref name="second"/> together each round; returns the rounds after which <paramref name="held"/> is false.</summary>
    private static async Task<int> LostRoundsAsync(Func<int, Task> first, Func<int, Task> second, Func<int, Task<bool>> held, Func<int, Task>? prepare = null)
    {
        var lost = 0;
        for (var round = 0; round < Rounds; round++)
        {
            if (prepare is not null) await prepare(round);
            await Task.WhenAll(first(round), second(round));
            if (!await held(round)) lost++;
        }
        return lost;
    }

    private static void NoneLost(int lost) => Assert.True(lost == 0, $"lost {lost} of {Rounds} rounds");

    private static async Task<(string Server, string General)> CreateServerAsync(OnboardedUser owner)
    {
        var created = await owner.Client.PostAsync("/servers/create", "/servers/create", new { name = "Race Club" });
        Assert.Equal(HttpStatusCode.OK, created.Status);
        return (Id(new StoatSession.Reply(created.Status, created.Body.GetProperty("server"))), created.Body.GetProperty("channels")[0].GetProperty("_id").GetString()!);
    }

    private static async Task JoinAsync(OnboardedUser owner, OnboardedUser joiner, string channel)
    {
        var code = Id(await owner.Client.PostAsync($"/channels/{channel}/invites", "/channels/{target}/invites"));
        Assert.Equal(HttpStatusCode.OK, (await joiner.Client.PostAsync($"/invites/{code}", "/invites/{target}")).Status);
    }

    private static async Task Ok(Task<StoatSession.Reply> call) => Assert.Equal(HttpStatusCode.OK, (await call).Status);

    [Fact]
    public async Task Cutting_a_roles_permissions_holds_against_a_concurrent_rename()
    {
        var owner = await OnboardedAsync("cutter");
        var (server, _) = await CreateServerAsync(owner);
        var role = (await owner.Client.PostAsync($"/servers/{server}/roles", "/servers/{target}/roles", new { name = "Mods" })).Body.GetProperty("id").GetString()!;
        const ulong full = (ulong)(ChannelPermission.KickMembers | ChannelPermission.BanMembers | ChannelPermission.ManageMessages);
        const ulong cut = (ulong)ChannelPermission.ManageMessages;
        var permissions = $"/servers/{server}/permissions/{role}";

        var lost = await LostRoundsAsync(
            prepare: _ => Ok(owner.Client.PutAsync(permissions, "/servers/{target}/permissions/{role_id}", new { permissions = new { allow = full, deny = 0UL } })),
            first: _ => Ok(owner.Client.PutAsync(permissions, "/servers/{target}/permissions/{role_id}", new { permissions = new { allow = cut, deny = 0UL } })),
            second: round => Ok(owner.Client.PatchAsync($"/servers/{server}/roles/{role}", "/servers/{target}/roles/{role_id}", new { name = $"Mods {round}" })),
            held: async round =>
            {
                var stored = (await owner.Client.GetAsync($"/servers/{server}/roles/{role}", "/servers/{target}/roles/{role_id}")).Body;
                return stored.GetProperty("permissions").GetProperty("a").GetInt64() == (long)cut && stored.GetProperty("name").GetString() == $"Mods {round}";
            });
        NoneLost(lost);
    }

    [Fact]
    public async Task Taking_a_role_away_holds_against_the_members_own_nickname_change()
    {
        var owner = await OnboardedAsync("owner");
        var member = await OnboardedAsync("member");
        var (server, general) = await CreateServerAsync(owner);
        await JoinAsync(owner, member, general);
        var role = (await owner.Client.PostAsync($"/servers/{server}/roles", "/servers/{target}/roles", new { name = "Trusted" })).Body.GetProperty("id").GetString()!;
        var path = $"/servers/{server}/members/{member.Id}";
        const string operation = "/servers/{server}/members/{member}";

        var lost = await LostRoundsAsync(
            prepare: _ => Ok(owner.Client.PatchAsync(path, operation, new { roles = new[] { role } })),
            first: _ => Ok(owner.Client.PatchAsync(path, operation, new { remove = new[] { "Roles" } })),
            second: round => Ok(member.Client.PatchAsync($"/servers/{server}/members/@me", operation, new { nickname = $"nick {round}" })),
            held: async round =>
            {
                var stored = (await owner.Client.GetAsync(path, "/servers/{target}/members/{member}")).Body;
                return !stored.TryGetProperty("roles", out _) && stored.TryGetProperty("nickname", out var nickname) && nickname.GetString() == $"nick {round}";
            });
        NoneLost(lost);
    }

    [Fact]
    public async Task A_timeout_holds_against_a_concurrent_nickname_change()
    {
        var owner = await OnboardedAsync("owner");
        var member = await OnboardedAsync("member");
        var (server, general) = await CreateServerAsync(owner);
        await JoinAsync(owner, member, general);
        var path = $"/servers/{server}/members/{member.Id}";
        const string operation = "/servers/{server}/members/{member}";
        var renamed = new bool[Rounds];

        var lost = await LostRoundsAsync(
            prepare: _ => Ok(owner.Client.PatchAsync(path, operation, new { remove = new[] { "Timeout" } })),
            first: round => Ok(owner.Client.PatchAsync(path, operation, new { timeout = DateTimeOffset.UtcNow.AddHours(1 + round) })),
            // A member already timed out may not change their nickname; that refusal is no lost update.
            second: async round => renamed[round] =
                (await member.Client.PatchAsync($"/servers/{server}/members/@me", operation, new { nickname = $"nick {round}" })).Status == HttpStatusCode.OK,
            held: async round =>
            {
                var stored = (await owner.Client.GetAsync(path, "/servers/{target}/members/{member}")).Body;
                return stored.TryGetProperty("timeout", out _)
                    && (!renamed[round] || stored.TryGetProperty("nickname", out var nickname) && nickname.GetString() == $"nick {round}");
            });
        NoneLost(lost);
    }

    [Fact]
    public async Task Renaming_a_server_keeps_a_channel_created_at_the_same_time()
    {
        var owner = await OnboardedAsync("owner");
        var (server, _) = await CreateServerAsync(owner);
        var created = new string[Rounds];

        var lost = await LostRoundsAsync(
            first: async round => created[round] = Id(await owner.Client.PostAsync($"/servers/{server}/channels", "/servers/{server}/channels", new { name = $"room-{round}" })),
            second: round => Ok(owner.Client.PatchAsync($"/servers/{server}", "/servers/{target}", new { name = $"Club {round}" })),
            held: async round =>
            {
                var stored = (await owner.Client.GetAsync($"/servers/{server}", "/servers/{target}")).Body;
                return stored.GetProperty("channels").EnumerateArray().Any(c => c.GetString() == created[round]) && stored.GetProperty("name").GetString() == $"Club {round}";
            });
        NoneLost(lost);
    }

    [Fact]
    public async Task A_channels_role_override_holds_against_a_concurrent_channel_edit()
    {
        var owner = await OnboardedAsync("owner");
        var (server, general) = await CreateServerAsync(owner);
        var role = (await owner.Client.PostAsync($"/servers/{server}/roles", "/servers/{target}/roles", new { name = "Guests" })).Body.GetProperty("id").GetString()!;
        // Another role's override first: the raced role then starts out absent from a map that exists.
        var other = (await owner.Client.PostAsync($"/servers/{server}/roles", "/servers/{target}/roles", new { name = "Others" })).Body.GetProperty("id").GetString()!;
        await Ok(owner.Client.PutAsync($"/channels/{general}/permissions/{other}", "/channels/{target}/permissions/{role_id}",
            new { permissions = new { allow = 0UL, deny = (ulong)ChannelPermission.InviteOthers } }));

        var lost = await LostRoundsAsync(
            first: round => Ok(owner.Client.PutAsync($"/channels/{general}/permissions/{role}", "/channels/{target}/permissions/{role_id}",
                new { permissions = new { allow = 0UL, deny = (ulong)round + 1 } })),
            second: round => Ok(owner.Client.PatchAsync($"/channels/{general}", "/channels/{target}", new { name = $"general-{round}" })),
            held: async round =>
            {
                var stored = (await owner.Client.GetAsync($"/channels/{general}", "/channels/{target}")).Body;
                return stored.GetProperty("name").GetString() == $"general-{round}"
                    && stored.GetProperty("role_permissions").TryGetProperty(role, out var raced) && raced.GetProperty("d").GetInt64() == round + 1;
            });
        NoneLost(lost);
    }

    [Fact]
    public async Task Editing_a_message_holds_against_a_concurrent_pin_and_a_concurrent_edit_of_its_embeds()
    {
        var owner = await OnboardedAsync("owner");
        var (_, general) = await CreateServerAsync(owner);
        var messages = new string[Rounds];
        const string operation = "/channels/{target}/messages/{msg}";

        var lostToPin = await LostRoundsAsync(
            prepare: async round => messages[round] = Id(await owner.Client.PostAsync($"/channels/{general}/messages", "/channels/{target}/messages",
                new { content = $"draft {round}" })),
            first: round => Ok(owner.Client.PatchAsync($"/channels/{general}/messages/{messages[round]}", operation, new { content = $"final {round}" })),
            second: async round => Assert.Equal(HttpStatusCode.NoContent,
                (await owner.Client.PostAsync($"/channels/{general}/messages/{messages[round]}/pin", "/channels/{target}/messages/{msg}/pin")).Status),
            held: async round =>
            {
                var stored = (await owner.Client.GetAsync($"/channels/{general}/messages/{messages[round]}", operation)).Body;
                return stored.GetProperty("content").GetString() == $"final {round}" && stored.TryGetProperty("pinned", out var pinned) && pinned.GetBoolean();
            });

        var lostToEmbeds = await LostRoundsAsync(
            prepare: async round => messages[round] = Id(await owner.Client.PostAsync($"/channels/{general}/messages", "/channels/{target}/messages",
                new { content = $"draft {round}" })),
            first: round => Ok(owner.Client.PatchAsync($"/channels/{general}/messages/{messages[round]}", operation, new { content = $"final {round}" })),
            second: round => Ok(owner.Client.PatchAsync($"/channels/{general}/messages/{messages[round]}", operation,
                new { embeds = new[] { new { title = $"embed {round}" } } })),
            held: async round =>
            {
                var stored = (await owner.Client.GetAsync($"/channels/{general}/messages/{messages[round]}", operation)).Body;
                return stored.GetProperty("content").GetString() == $"final {round}"
                    && stored.TryGetProperty("embeds", out var embeds) && embeds[0].GetProperty("title").GetString() == $"embed {round}";
            });
        Assert.True(lostToPin + lostToEmbeds == 0, $"lost {lostToPin} of {Rounds} rounds to a pin and {lostToEmbeds} of {Rounds} to an embeds edit");
    }

    [Fact]
    public async Task Two_profile_changes_at_once_both_hold()
    {
        var user = await OnboardedAsync("profiled");
        var second = new StoatSession(api.Factory.CreateClient()) { Token = user.Client.Token };

        var lost = await LostRoundsAsync(
            first: round => Ok(user.Client.PatchAsync("/users/@me", "/users/{target}", new { display_name = $"Name {round}" })),
            second: round => Ok(second.PatchAsync("/users/@me", "/users/{target}", new { status = new { text = $"status {round}" } })),
            held: async round =>
            {
                var stored = (await user.Client.GetAsync("/users/@me", "/users/@me")).Body;
                return stored.TryGetProperty("display_name", out var name) && name.GetString() == $"Name {round}"
                    && stored.TryGetProperty("status", out var status) && status.TryGetProperty("text", out var text) && text.GetString() == $"status {round}";
            });
        NoneLost(lost);
    }

    private async Task<User> StoredUserAsync(string name)
    {
        var user = new User(Identity.SecureTokens.NewId(), name + Guid.NewGuid().ToString("N")[..8], "0001", null, 0, 0, false, DateTimeOffset.UtcNow);
        await api.Factory.Services.GetRequiredService<IUserStore>().CreateAsync(user);
        return user;
    }

    /// <summary>Runs on a pool thread of its own: SQLite's async calls complete synchronously, which would run the callers one after the other.</summary>
    private Task<T> InScopeAsync<T>(Func<IServiceProvider, Task<T>> work) => Task.Run(async () =>
    {
        await using var scope = api.Factory.Services.CreateAsyncScope();
        return await work(scope.ServiceProvider);
    });

    [Fact]
    public async Task Opening_a_DM_from_both_sides_at_once_makes_one_channel()
    {
        var users = api.Factory.Services.GetRequiredService<IUserStore>();
        var channels = api.Factory.Services.GetRequiredService<IChannelStore>();
        var doubled = 0;
        for (var round = 0; round < Rounds; round++)
        {
            var (alice, bob) = (await StoredUserAsync("alice"), await StoredUserAsync("bob"));
            await users.SetRelationshipAsync(alice.Id, bob.Id, RelationshipStatus.Friend, RelationshipStatus.Friend);
            var opened = await Task.WhenAll(
                InScopeAsync(sp => sp.GetRequiredService<ChannelService>().OpenDirectMessageAsync(alice, bob.Id, CancellationToken.None)),
                InScopeAsync(sp => sp.GetRequiredService<ChannelService>().OpenDirectMessageAsync(bob, alice.Id, CancellationToken.None)),
                InScopeAsync(sp => sp.GetRequiredService<ChannelService>().OpenDirectMessageAsync(alice, alice.Id, CancellationToken.None)),
                InScopeAsync(sp => sp.GetRequiredService<ChannelService>().OpenDirectMessageAsync(alice, alice.Id, CancellationToken.None)));
            var stored = await channels.ListPrivateAsync(alice.Id);
            if (opened[0].Id != opened[1].Id || opened[2].Id != opened[3].Id || stored.Count != 2) doubled++;
        }
        Assert.True(doubled == 0, $"made two channels in {doubled} of {Rounds} rounds");
    }

    [Fact]
    public async Task Two_users_joining_a_group_at_once_are_both_in_it()
    {
        var channels = api.Factory.Services.GetRequiredService<IChannelStore>();
        var lost = 0;
        for (var round = 0; round < Rounds; round++)
        {
            var (owner, first, second) = (await StoredUserAsync("owner"), await StoredUserAsync("first"), await StoredUserAsync("second"));
            var group = new Group(Identity.SecureTokens.NewId(), "Race", owner.Id, null, [owner.Id], null, null, false);
            await channels.CreateAsync(group);
            // As an invite is used: the group is read, then joined.
            await Task.WhenAll(
                InScopeAsync(sp => sp.GetRequiredService<ChannelService>().JoinGroupAsync(group, first.Id, owner.Id, CancellationToken.None)),
                InScopeAsync(sp => sp.GetRequiredService<ChannelService>().JoinGroupAsync(group, second.Id, owner.Id, CancellationToken.None)));
            var stored = (Group)(await channels.GetAsync(group.Id))!;
            var listed = (await channels.ListPrivateAsync(first.Id)).Concat(await channels.ListPrivateAsync(second.Id)).Count(c => c.Id == group.Id);
            if (!stored.Recipients.Contains(first.Id) || !stored.Recipients.Contains(second.Id) || listed != 2) lost++;
        }
        NoneLost(lost);
    }
}
