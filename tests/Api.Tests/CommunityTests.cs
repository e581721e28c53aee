using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Spokes.Api.Storage;
using Spokes.Permissions;

namespace Spokes.Api.Tests;

/// <summary>Servers, channels, members, roles, bans and invites, through the Api as a Stoat client uses them.</summary>
[Collection(nameof(ApiCollection))]
public class CommunityTests(ApiFixture api) : IAsyncLifetime
{
    private PublishedEvents _events = null!;

    public async Task InitializeAsync() => _events = await PublishedEvents.SubscribeAsync(api);

    public async Task DisposeAsync() => await _events.DisposeAsync();

    private Task<OnboardedUser> OnboardedAsync(string username) => OnboardedUser.CreateAsync(api, username);

    private static string Id(StoatSession.Reply reply) => reply.Body.GetProperty("_id").GetString()!;

    private static async Task<(string Server, string General)> CreateServerAsync(OnboardedUser owner, string name = "Spokes Club")
    {
        var created = await owner.Client.PostAsync("/servers/create", "/servers/create", new { name });
        Assert.Equal(HttpStatusCode.OK, created.Status);
        var server = created.Body.GetProperty("server");
        return (server.GetProperty("_id").GetString()!, created.Body.GetProperty("channels")[0].GetProperty("_id").GetString()!);
    }

    private static async Task<string> JoinThroughInviteAsync(OnboardedUser inviter, OnboardedUser joiner, string channel)
    {
        var invite = await inviter.Client.PostAsync($"/channels/{channel}/invites", "/channels/{target}/invites");
        Assert.Equal(HttpStatusCode.OK, invite.Status);
        var code = Id(invite);
        Assert.Equal(HttpStatusCode.OK, (await joiner.Client.PostAsync($"/invites/{code}", "/invites/{target}")).Status);
        return code;
    }

    private static async Task<StoatSession.Reply> ErrorAsync(Task<StoatSession.Reply> call, HttpStatusCode status, string type)
    {
        var reply = await call;
        Assert.Equal((status, type), (reply.Status, reply.ErrorType));
        return reply;
    }

    [Fact]
    public async Task A_new_server_has_its_owner_as_member_a_general_channel_and_is_announced()
    {
        var owner = await OnboardedAsync("owner");
        var created = await owner.Client.PostAsync("/servers/create", "/servers/create", new { name = "Spokes Club", description = "hello" });
        var server = created.Body.GetProperty("server");
        var serverId = server.GetProperty("_id").GetString()!;
        Assert.Equal(owner.Id, server.GetProperty("owner").GetString());
        Assert.Equal((long)DefaultPermissions.Server, server.GetProperty("default_permissions").GetInt64());
        var general = created.Body.GetProperty("channels")[0];
        Assert.Equal(("TextChannel", "General", serverId), (general.GetProperty("channel_type").GetString(), general.GetProperty("name").GetString(), general.GetProperty("server").GetString()));
        Assert.Equal(general.GetProperty("_id").GetString(), server.GetProperty("channels")[0].GetString());

        var announced = await _events.WaitForAsync(owner.Id + "!", "ServerCreate", e => e.GetProperty("id").GetString() == serverId);
        Assert.Equal("TextChannel", announced.GetProperty("channels")[0].GetProperty("channel_type").GetString());
        await _events.WaitForAsync(serverId, "ServerMemberJoin", e => e.GetProperty("user").GetString() == owner.Id);

        var fetched = await owner.Client.GetAsync($"/servers/{serverId}", "/servers/{target}");
        Assert.Equal(("Spokes Club", "hello"), (fetched.Body.GetProperty("name").GetString(), fetched.Body.GetProperty("description").GetString()));
        var members = await owner.Client.GetAsync($"/servers/{serverId}/members", "/servers/{target}/members");
        Assert.Equal(owner.Id, members.Body.GetProperty("members")[0].GetProperty("_id").GetProperty("user").GetString());
        Assert.Equal("User", members.Body.GetProperty("users")[0].GetProperty("relationship").GetString());

        var stranger = await OnboardedAsync("stranger");
        var refused = await ErrorAsync(stranger.Client.GetAsync($"/servers/{serverId}", "/servers/{target}"), HttpStatusCode.Forbidden, "MissingPermission");
        Assert.Equal("ViewChannel", refused.Body.GetProperty("permission").GetString());
        await ErrorAsync(stranger.Client.GetAsync($"/servers/{Guid.NewGuid():N}", "/servers/{target}"), HttpStatusCode.NotFound, "NotFound");
    }

    [Fact]
    public async Task Channels_are_created_edited_and_deleted_with_their_events()
    {
        var owner = await OnboardedAsync("owner");
        var (server, _) = await CreateServerAsync(owner);

        var voice = await owner.Client.PostAsync($"/servers/{server}/channels", "/servers/{server}/channels", new { type = "Voice", name = "Lounge" });
        Assert.True(voice.Body.TryGetProperty("voice", out _));
        var voiceId = Id(voice);
        await _events.WaitForAsync(server, "ChannelCreate", e => e.GetProperty("_id").GetString() == voiceId && e.GetProperty("channel_type").GetString() == "TextChannel");

        var edited = await owner.Client.PatchAsync($"/channels/{voiceId}", "/channels/{target}", new { name = "Quiet Lounge", description = "shh" });
        Assert.Equal(("Quiet Lounge", "shh"), (edited.Body.GetProperty("name").GetString(), edited.Body.GetProperty("description").GetString()));
        await _events.WaitForAsync(voiceId, "ChannelUpdate", e => e.GetProperty("data").GetProperty("name").GetString() == "Quiet Lounge");
        var cleared = await owner.Client.PatchAsync($"/channels/{voiceId}", "/channels/{target}", new { remove = new[] { "Description" } });
        Assert.False(cleared.Body.TryGetProperty("description", out _));

        Assert.Equal(HttpStatusCode.NoContent, (await owner.Client.DeleteAsync($"/channels/{voiceId}", "/channels/{target}")).Status);
        await _events.WaitForAsync(voiceId, "ChannelDelete", _ => true);
        await ErrorAsync(owner.Client.GetAsync($"/channels/{voiceId}", "/channels/{target}"), HttpStatusCode.NotFound, "NotFound");
        var fetched = await owner.Client.GetAsync($"/servers/{server}", "/servers/{target}");
        Assert.DoesNotContain(voiceId, fetched.Body.GetProperty("channels").EnumerateArray().Select(c => c.GetString()));
    }

    [Fact]
    public async Task An_invite_is_seen_without_a_session_joined_once_and_listed_for_managers_only()
    {
        var owner = await OnboardedAsync("owner");
        var guest = await OnboardedAsync("guest");
        var (server, general) = await CreateServerAsync(owner, "Open House");
        var code = Id(await owner.Client.PostAsync($"/channels/{general}/invites", "/channels/{target}/invites"));
        Assert.Equal(8, code.Length);

        var anonymous = new StoatSession(api.Factory.CreateClient());
        var preview = await anonymous.GetAsync($"/invites/{code}", "/invites/{target}");
        Assert.Equal(("Server", "Open House", "General", 1), (preview.Body.GetProperty("type").GetString(), preview.Body.GetProperty("server_name").GetString(),
            preview.Body.GetProperty("channel_name").GetString(), preview.Body.GetProperty("member_count").GetInt32()));

        var joined = await guest.Client.PostAsync($"/invites/{code}", "/invites/{target}");
        Assert.Equal(("Server", server), (joined.Body.GetProperty("type").GetString(), joined.Body.GetProperty("server").GetProperty("_id").GetString()));
        await _events.WaitForAsync(server, "ServerMemberJoin", e => e.GetProperty("user").GetString() == guest.Id);
        await _events.WaitForAsync(guest.Id + "!", "ServerCreate", e => e.GetProperty("id").GetString() == server);
        await ErrorAsync(guest.Client.PostAsync($"/invites/{code}", "/invites/{target}"), HttpStatusCode.Conflict, "AlreadyInServer");
        Assert.Equal(2, (await anonymous.GetAsync($"/invites/{code}", "/invites/{target}")).Body.GetProperty("member_count").GetInt32());

        await ErrorAsync(guest.Client.GetAsync($"/servers/{server}/invites", "/servers/{target}/invites"), HttpStatusCode.Forbidden, "MissingPermission");
        Assert.Equal(code, Id((await owner.Client.GetAsync($"/servers/{server}/invites", "/servers/{target}/invites")).Body.EnumerateArray().Single().Let(j => new StoatSession.Reply(HttpStatusCode.OK, j))));
        await ErrorAsync(guest.Client.DeleteAsync($"/invites/{code}", "/invites/{target}"), HttpStatusCode.Forbidden, "MissingPermission");
        Assert.Equal(HttpStatusCode.NoContent, (await owner.Client.DeleteAsync($"/invites/{code}", "/invites/{target}")).Status);
        await ErrorAsync(anonymous.GetAsync($"/invites/{code}", "/invites/{target}"), HttpStatusCode.NotFound, "NotFound");
    }

    [Fact]
    public async Task Roles_grant_permissions_in_rank_order_and_only_below_the_actor()
    {
        var owner = await OnboardedAsync("owner");
        var moderator = await OnboardedAsync("mod");
        var member = await OnboardedAsync("member");
        var (server, general) = await CreateServerAsync(owner);
        await JoinThroughInviteAsync(owner, moderator, general);
        await JoinThroughInviteAsync(owner, member, general);

        var mods = await owner.Client.PostAsync($"/servers/{server}/roles", "/servers/{target}/roles", new { name = "Mods" });
        var modsId = mods.Body.GetProperty("id").GetString()!;
        await _events.WaitForAsync(server, "ServerRoleUpdate", e => e.GetProperty("role_id").GetString() == modsId);
        var helpers = await owner.Client.PostAsync($"/servers/{server}/roles", "/servers/{target}/roles", new { name = "Helpers" });
        var helpersId = helpers.Body.GetProperty("id").GetString()!;
        Assert.True(helpers.Body.GetProperty("role").GetProperty("rank").GetInt64() > mods.Body.GetProperty("role").GetProperty("rank").GetInt64());

        var grant = (ulong)(ChannelPermission.ManageChannel | ChannelPermission.KickMembers | ChannelPermission.AssignRoles | ChannelPermission.ManageRole);
        var withPermissions = await owner.Client.PutAsync($"/servers/{server}/permissions/{modsId}", "/servers/{target}/permissions/{role_id}",
            new { permissions = new { allow = grant, deny = 0UL } });
        Assert.Equal((long)grant, withPermissions.Body.GetProperty("roles").GetProperty(modsId).GetProperty("permissions").GetProperty("a").GetInt64());

        await ErrorAsync(moderator.Client.PostAsync($"/servers/{server}/channels", "/servers/{server}/channels", new { name = "mods-only" }),
            HttpStatusCode.Forbidden, "MissingPermission");
        var assigned = await owner.Client.PatchAsync($"/servers/{server}/members/{moderator.Id}", "/servers/{server}/members/{member}", new { roles = new[] { modsId } });
        Assert.Equal(modsId, assigned.Body.GetProperty("roles")[0].GetString());
        await _events.WaitForAsync(server, "ServerMemberUpdate", e => e.GetProperty("id").GetProperty("user").GetString() == moderator.Id);
        Assert.Equal(HttpStatusCode.OK, (await moderator.Client.PostAsync($"/servers/{server}/channels", "/servers/{server}/channels", new { name = "mods-only" })).Status);

        // The moderator may hand out the lower role, never their own, and may not give what they lack.
        Assert.Equal(HttpStatusCode.OK, (await moderator.Client.PatchAsync($"/servers/{server}/members/{member.Id}", "/servers/{server}/members/{member}",
            new { roles = new[] { helpersId } })).Status);
        await ErrorAsync(moderator.Client.PatchAsync($"/servers/{server}/members/{member.Id}", "/servers/{server}/members/{member}",
            new { roles = new[] { modsId } }), HttpStatusCode.Forbidden, "NotElevated");
        await ErrorAsync(moderator.Client.PatchAsync($"/servers/{server}/roles/{modsId}", "/servers/{target}/roles/{role_id}", new { name = "Admins" }),
            HttpStatusCode.Forbidden, "NotElevated");

        // Reordering: the moderator cannot move the role at their own rank.
        await ErrorAsync(moderator.Client.PatchAsync($"/servers/{server}/roles/ranks", "/servers/{target}/roles/ranks", new { ranks = new[] { helpersId, modsId } }),
            HttpStatusCode.Forbidden, "NotElevated");
        var reordered = await owner.Client.PatchAsync($"/servers/{server}/roles/ranks", "/servers/{target}/roles/ranks", new { ranks = new[] { helpersId, modsId } });
        Assert.Equal(0, reordered.Body.GetProperty("roles").GetProperty(helpersId).GetProperty("rank").GetInt64());
        await _events.WaitForAsync(server, "ServerRoleRanksUpdate", e => e.GetProperty("ranks")[0].GetString() == helpersId);

        Assert.Equal(HttpStatusCode.NoContent, (await owner.Client.DeleteAsync($"/servers/{server}/roles/{helpersId}", "/servers/{target}/roles/{role_id}")).Status);
        await _events.WaitForAsync(server, "ServerRoleDelete", e => e.GetProperty("role_id").GetString() == helpersId);
        var stripped = await owner.Client.GetAsync($"/servers/{server}/members/{member.Id}", "/servers/{target}/members/{member}");
        Assert.False(stripped.Body.TryGetProperty("roles", out _));
        await ErrorAsync(owner.Client.GetAsync($"/servers/{server}/roles/{helpersId}", "/servers/{target}/roles/{role_id}"), HttpStatusCode.NotFound, "NotFound");
    }

    [Fact]
    public async Task Granting_what_one_lacks_is_refused_and_changes_nothing()
    {
        var owner = await OnboardedAsync("owner");
        var manager = await OnboardedAsync("manager");
        var (server, general) = await CreateServerAsync(owner);
        await JoinThroughInviteAsync(owner, manager, general);
        var managers = (await owner.Client.PostAsync($"/servers/{server}/roles", "/servers/{target}/roles", new { name = "Managers" })).Body.GetProperty("id").GetString()!;
        var low = (await owner.Client.PostAsync($"/servers/{server}/roles", "/servers/{target}/roles", new { name = "Low" })).Body.GetProperty("id").GetString()!;
        await owner.Client.PutAsync($"/servers/{server}/permissions/{managers}", "/servers/{target}/permissions/{role_id}",
            new { permissions = new { allow = (ulong)ChannelPermission.ManagePermissions, deny = 0UL } });
        await owner.Client.PatchAsync($"/servers/{server}/members/{manager.Id}", "/servers/{server}/members/{member}", new { roles = new[] { managers } });

        await ErrorAsync(manager.Client.PutAsync($"/servers/{server}/permissions/{low}", "/servers/{target}/permissions/{role_id}",
            new { permissions = new { allow = (ulong)ChannelPermission.BanMembers, deny = 0UL } }), HttpStatusCode.Forbidden, "CannotGiveMissingPermissions");
        await ErrorAsync(manager.Client.PutAsync($"/channels/{general}/permissions/default", "/channels/{target}/permissions/default",
            new { permissions = new { allow = (ulong)ChannelPermission.ManageServer, deny = 0UL } }), HttpStatusCode.Forbidden, "CannotGiveMissingPermissions");
        var unchanged = await owner.Client.GetAsync($"/servers/{server}/roles/{low}", "/servers/{target}/roles/{role_id}");
        Assert.Equal(0, unchanged.Body.GetProperty("permissions").GetProperty("a").GetInt64());

        // Denying what one holds is fine: the channel override hides General from everyone but the owner.
        var hidden = await manager.Client.PutAsync($"/channels/{general}/permissions/default", "/channels/{target}/permissions/default",
            new { permissions = new { allow = 0UL, deny = (ulong)ChannelPermission.ViewChannel } });
        Assert.Equal((long)ChannelPermission.ViewChannel, hidden.Body.GetProperty("default_permissions").GetProperty("d").GetInt64());
        await ErrorAsync(manager.Client.GetAsync($"/channels/{general}", "/channels/{target}"), HttpStatusCode.Forbidden, "MissingPermission");
        Assert.Equal(HttpStatusCode.OK, (await owner.Client.GetAsync($"/channels/{general}", "/channels/{target}")).Status);
    }

    [Fact]
    public async Task Kick_ban_and_unban_follow_rank_and_a_ban_keeps_the_user_out()
    {
        var owner = await OnboardedAsync("owner");
        var guest = await OnboardedAsync("guest");
        var (server, general) = await CreateServerAsync(owner);
        var code = await JoinThroughInviteAsync(owner, guest, general);

        await ErrorAsync(guest.Client.DeleteAsync($"/servers/{server}/members/{owner.Id}", "/servers/{target}/members/{member}"), HttpStatusCode.Forbidden, "MissingPermission");
        await ErrorAsync(owner.Client.DeleteAsync($"/servers/{server}/members/{owner.Id}", "/servers/{target}/members/{member}"), HttpStatusCode.BadRequest, "CannotRemoveYourself");
        Assert.Equal(HttpStatusCode.NoContent, (await owner.Client.DeleteAsync($"/servers/{server}/members/{guest.Id}", "/servers/{target}/members/{member}")).Status);
        await _events.WaitForAsync(server, "ServerMemberLeave", e => e.GetProperty("user").GetString() == guest.Id && e.GetProperty("reason").GetString() == "Kick");
        await ErrorAsync(owner.Client.GetAsync($"/servers/{server}/members/{guest.Id}", "/servers/{target}/members/{member}"), HttpStatusCode.NotFound, "NotFound");

        Assert.Equal(HttpStatusCode.OK, (await guest.Client.PostAsync($"/invites/{code}", "/invites/{target}")).Status);
        var ban = await owner.Client.PutAsync($"/servers/{server}/bans/{guest.Id}", "/servers/{server}/bans/{target}", new { reason = "spam" });
        Assert.Equal(("spam", guest.Id), (ban.Body.GetProperty("reason").GetString(), ban.Body.GetProperty("_id").GetProperty("user").GetString()));
        await _events.WaitForAsync(server, "ServerMemberLeave", e => e.GetProperty("user").GetString() == guest.Id && e.GetProperty("reason").GetString() == "Ban");
        var bans = await owner.Client.GetAsync($"/servers/{server}/bans", "/servers/{target}/bans");
        Assert.Equal(guest.Id, bans.Body.GetProperty("users")[0].GetProperty("_id").GetString());
        await ErrorAsync(guest.Client.PostAsync($"/invites/{code}", "/invites/{target}"), HttpStatusCode.Forbidden, "Banned");

        Assert.Equal(HttpStatusCode.NoContent, (await owner.Client.DeleteAsync($"/servers/{server}/bans/{guest.Id}", "/servers/{server}/bans/{target}")).Status);
        await ErrorAsync(owner.Client.DeleteAsync($"/servers/{server}/bans/{guest.Id}", "/servers/{server}/bans/{target}"), HttpStatusCode.NotFound, "NotFound");
        Assert.Equal(HttpStatusCode.OK, (await guest.Client.PostAsync($"/invites/{code}", "/invites/{target}")).Status);

        // Leaving is deleting a server one does not own; the owner's delete ends it for everyone.
        Assert.Equal(HttpStatusCode.NoContent, (await guest.Client.DeleteAsync($"/servers/{server}", "/servers/{target}")).Status);
        await _events.WaitForAsync(server, "ServerMemberLeave", e => e.GetProperty("user").GetString() == guest.Id && e.GetProperty("reason").GetString() == "Leave");
        Assert.Equal(HttpStatusCode.NoContent, (await owner.Client.DeleteAsync($"/servers/{server}", "/servers/{target}")).Status);
        await _events.WaitForAsync(server, "ServerDelete", _ => true);
        await ErrorAsync(owner.Client.GetAsync($"/servers/{server}", "/servers/{target}"), HttpStatusCode.NotFound, "NotFound");
        await ErrorAsync(owner.Client.GetAsync($"/channels/{general}", "/channels/{target}"), HttpStatusCode.NotFound, "NotFound");
    }

    [Fact]
    public async Task Groups_are_made_of_friends_and_DMs_open_once()
    {
        var alice = await OnboardedAsync("alice");
        var bob = await OnboardedAsync("bob");
        var carol = await OnboardedAsync("carol");
        await ErrorAsync(alice.Client.PostAsync("/channels/create", "/channels/create", new { name = "Trio", users = new[] { bob.Id } }), HttpStatusCode.Forbidden, "NotFriends");
        foreach (var friend in new[] { bob, carol })
        {
            await alice.Client.PostAsync("/users/friend", "/users/friend", new { username = friend.Tag });
            await friend.Client.PutAsync($"/users/{alice.Id}/friend", "/users/{target}/friend");
        }

        var group = await alice.Client.PostAsync("/channels/create", "/channels/create", new { name = "Trio", users = new[] { bob.Id } });
        var groupId = Id(group);
        Assert.Equal(("Group", alice.Id), (group.Body.GetProperty("channel_type").GetString(), group.Body.GetProperty("owner").GetString()));
        await _events.WaitForAsync(bob.Id + "!", "ChannelCreate", e => e.GetProperty("_id").GetString() == groupId);
        Assert.Equal(HttpStatusCode.NoContent, (await alice.Client.PutAsync($"/channels/{groupId}/recipients/{carol.Id}", "/channels/{group_id}/recipients/{member_id}")).Status);
        await _events.WaitForAsync(groupId, "ChannelGroupJoin", e => e.GetProperty("user").GetString() == carol.Id);
        await ErrorAsync(alice.Client.PutAsync($"/channels/{groupId}/recipients/{carol.Id}", "/channels/{group_id}/recipients/{member_id}"), HttpStatusCode.Conflict, "AlreadyInGroup");
        var members = await carol.Client.GetAsync($"/channels/{groupId}/members", "/channels/{target}/members");
        Assert.Equal(3, members.Body.GetArrayLength());
        Assert.Contains(groupId, (await bob.Client.GetAsync("/users/dms", "/users/dms")).Body.EnumerateArray().Select(c => c.GetProperty("_id").GetString()));

        await ErrorAsync(bob.Client.DeleteAsync($"/channels/{groupId}/recipients/{carol.Id}", "/channels/{target}/recipients/{member}"), HttpStatusCode.Forbidden, "MissingPermission");
        Assert.Equal(HttpStatusCode.NoContent, (await alice.Client.DeleteAsync($"/channels/{groupId}/recipients/{carol.Id}", "/channels/{target}/recipients/{member}")).Status);
        await _events.WaitForAsync(groupId, "ChannelGroupLeave", e => e.GetProperty("user").GetString() == carol.Id);
        // The owner leaving hands the group to who remains.
        Assert.Equal(HttpStatusCode.NoContent, (await alice.Client.DeleteAsync($"/channels/{groupId}", "/channels/{target}")).Status);
        Assert.Equal(bob.Id, (await bob.Client.GetAsync($"/channels/{groupId}", "/channels/{target}")).Body.GetProperty("owner").GetString());

        var dm = await alice.Client.GetAsync($"/users/{bob.Id}/dm", "/users/{target}/dm");
        Assert.Equal(("DirectMessage", false), (dm.Body.GetProperty("channel_type").GetString(), dm.Body.GetProperty("active").GetBoolean()));
        Assert.Equal(Id(dm), Id(await bob.Client.GetAsync($"/users/{alice.Id}/dm", "/users/{target}/dm")));
        var saved = await alice.Client.GetAsync($"/users/{alice.Id}/dm", "/users/{target}/dm");
        Assert.Equal(("SavedMessages", alice.Id), (saved.Body.GetProperty("channel_type").GetString(), saved.Body.GetProperty("user").GetString()));
        var stranger = await OnboardedAsync("stranger");
        await ErrorAsync(stranger.Client.GetAsync($"/users/{alice.Id}/dm", "/users/{target}/dm"), HttpStatusCode.Forbidden, "MissingUserPermission");
    }

    [Fact]
    public async Task Bad_input_is_refused_in_Stoats_terms_and_changes_nothing()
    {
        var owner = await OnboardedAsync("owner");
        var (server, general) = await CreateServerAsync(owner);
        await ErrorAsync(owner.Client.PostAsync("/servers/create", "/servers/create", new { name = new string('x', 33) }), HttpStatusCode.BadRequest, "FailedValidation");
        await ErrorAsync(owner.Client.PostAsync("/servers/create", "/servers/create", new { name = "" }), HttpStatusCode.BadRequest, "FailedValidation");
        await ErrorAsync(owner.Client.PostRawAsync("/servers/create", "/servers/create", "{\"name\": 5}"), HttpStatusCode.BadRequest, "FailedValidation");
        await ErrorAsync(owner.Client.PostAsync($"/servers/{server}/channels", "/servers/{server}/channels", new { name = "x", type = "Stage" }), HttpStatusCode.BadRequest, "FailedValidation");
        await ErrorAsync(owner.Client.PatchAsync($"/servers/{server}", "/servers/{target}", new { name = "Renamed", remove = new[] { "Owner" } }), HttpStatusCode.BadRequest, "FailedValidation");
        await ErrorAsync(owner.Client.PatchAsync($"/servers/{server}", "/servers/{target}", new { system_messages = new { user_joined = "01NOSUCHCHANNEL" } }), HttpStatusCode.NotFound, "NotFound");
        // A role named in the path is NotFound when unknown, as Stoat answers; one named in a member's roles is InvalidRole.
        await ErrorAsync(owner.Client.PatchAsync($"/servers/{server}/roles/01NOSUCHROLE", "/servers/{target}/roles/{role_id}", new { name = "x" }), HttpStatusCode.NotFound, "NotFound");
        await ErrorAsync(owner.Client.DeleteAsync($"/servers/{server}/roles/01NOSUCHROLE", "/servers/{target}/roles/{role_id}"), HttpStatusCode.NotFound, "NotFound");
        await ErrorAsync(owner.Client.PutAsync($"/servers/{server}/permissions/01NOSUCHROLE", "/servers/{target}/permissions/{role_id}",
            new { permissions = new { allow = 0, deny = 0 } }), HttpStatusCode.NotFound, "NotFound");
        await ErrorAsync(owner.Client.PutAsync($"/channels/{general}/permissions/01NOSUCHROLE", "/channels/{target}/permissions/{role_id}",
            new { permissions = new { allow = 0, deny = 0 } }), HttpStatusCode.NotFound, "NotFound");
        await ErrorAsync(owner.Client.PatchAsync($"/servers/{server}/members/{owner.Id}", "/servers/{server}/members/{member}", new { roles = new[] { "01NOSUCHROLE" } }),
            HttpStatusCode.NotFound, "InvalidRole");
        var role = (await owner.Client.PostAsync($"/servers/{server}/roles", "/servers/{target}/roles", new { name = "Colourful" })).Body.GetProperty("id").GetString()!;
        await ErrorAsync(owner.Client.PatchAsync($"/servers/{server}/roles/{role}", "/servers/{target}/roles/{role_id}", new { colour = "url(javascript:alert(1))" }),
            HttpStatusCode.BadRequest, "FailedValidation");
        await ErrorAsync(owner.Client.PatchAsync($"/servers/{server}/roles/ranks", "/servers/{target}/roles/ranks", new { ranks = new[] { role, role } }),
            HttpStatusCode.BadRequest, "FailedValidation");
        await ErrorAsync(owner.Client.PostAsync($"/invites/NOSUCHCODE", "/invites/{target}"), HttpStatusCode.NotFound, "NotFound");

        var after = await owner.Client.GetAsync($"/servers/{server}", "/servers/{target}");
        Assert.Equal("Spokes Club", after.Body.GetProperty("name").GetString());
        Assert.Equal(general, after.Body.GetProperty("system_messages").GetProperty("user_joined").GetString());
        Assert.Single(after.Body.GetProperty("channels").EnumerateArray());
        Assert.Null(after.Body.GetProperty("roles").GetProperty(role).TryGetProperty("colour", out var colour) ? colour.GetString() : null);
        var unauthenticated = new StoatSession(api.Factory.CreateClient());
        await ErrorAsync(unauthenticated.PostAsync("/servers/create", "/servers/create", new { name = "x" }), HttpStatusCode.Unauthorized, "NotAuthenticated");
    }

    [Fact]
    public async Task Acking_a_server_marks_only_the_channels_the_member_can_see_and_members_can_be_searched_by_name()
    {
        var owner = await OnboardedAsync("acker");
        var member = await OnboardedAsync("searchable");
        var (server, general) = await CreateServerAsync(owner);
        var hidden = Id(await owner.Client.PostAsync($"/servers/{server}/channels", "/servers/{server}/channels", new { name = "staff" }));
        await owner.Client.PutAsync($"/channels/{hidden}/permissions/default", "/channels/{target}/permissions/default",
            new { permissions = new { allow = 0UL, deny = (ulong)ChannelPermission.ViewChannel } });
        await JoinThroughInviteAsync(owner, member, general);
        await ErrorAsync(member.Client.PutAsync($"/servers/{Spokes.Api.Identity.SecureTokens.NewId()}/ack", "/servers/{target}/ack"), HttpStatusCode.NotFound, "NotFound");

        Assert.Equal(HttpStatusCode.NoContent, (await member.Client.PutAsync($"/servers/{server}/ack", "/servers/{target}/ack")).Status);
        var unreads = await api.Factory.Services.GetRequiredService<IUnreadStore>().ListAsync(member.Id);
        Assert.Equal([general], unreads.Select(u => u.Id.Channel));
        Assert.True(string.CompareOrdinal(unreads[0].LastId, server) > 0);

        const string query = "/servers/{target}/members_experimental_query";
        await ErrorAsync(member.Client.GetAsync($"/servers/{server}/members_experimental_query?query=sea", query), HttpStatusCode.BadRequest, "FailedValidation");
        var found = (await member.Client.GetAsync($"/servers/{server}/members_experimental_query?query=SEARCH&experimental_api=true", query)).Body;
        Assert.Equal([member.Id], found.GetProperty("users").EnumerateArray().Select(u => u.GetProperty("_id").GetString()));
        Assert.Equal([member.Id], found.GetProperty("members").EnumerateArray().Select(m => m.GetProperty("_id").GetProperty("user").GetString()));
        var outsider = await OnboardedAsync("outsider");
        await ErrorAsync(outsider.Client.GetAsync($"/servers/{server}/members_experimental_query?query=a&experimental_api=true", query),
            HttpStatusCode.Forbidden, "MissingPermission");
    }

    [Fact]
    public async Task The_default_avatar_is_a_png_served_without_a_session_and_cacheable()
    {
        var http = api.Factory.CreateClient();
        using var response = await http.GetAsync("/users/01HZY4J1V0Q3S6Q5ZC8R6T2W9A/default_avatar");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/png", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("immutable", response.Headers.CacheControl?.ToString());
        Assert.Equal(Spokes.Api.Users.DefaultAvatar.Png("01HZY4J1V0Q3S6Q5ZC8R6T2W9A"), await response.Content.ReadAsByteArrayAsync());
    }
}

internal static class JsonElementExtensions
{
    public static T Let<T>(this JsonElement element, Func<JsonElement, T> map) => map(element);
}
