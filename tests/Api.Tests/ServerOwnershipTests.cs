using System.Net;
using Spokes.Permissions;

namespace Spokes.Api.Tests;

/// <summary>
/// Handing a server over (<c>owner</c> in <c>PATCH /servers/{id}</c>), as Stoat's <c>edit_server</c> does it: the
/// owner's alone, confirmed with a validated MFA ticket, and only to a member who is a person.
/// </summary>
[Collection(nameof(ApiCollection))]
public class ServerOwnershipTests(ApiFixture api) : IAsyncLifetime
{
    private PublishedEvents _events = null!;

    public async Task InitializeAsync() => _events = await PublishedEvents.SubscribeAsync(api);

    public async Task DisposeAsync() => await _events.DisposeAsync();

    private const string ServerOperation = "/servers/{target}";

    private static string Id(StoatSession.Reply reply) => reply.Body.GetProperty("_id").GetString()!;

    /// <summary>A validated ticket, from answering with the account's password (no TOTP).</summary>
    private static async Task<string> TicketAsync(OnboardedUser user)
    {
        var ticket = (await user.Client.PutAsync("/auth/mfa/ticket", "/auth/mfa/ticket", new { password = OnboardedUser.Password })).Body;
        Assert.True(ticket.GetProperty("validated").GetBoolean());
        return ticket.GetProperty("token").GetString()!;
    }

    private static async Task<StoatSession.Reply> TransferAsync(OnboardedUser actor, string server, string owner, string? ticket)
    {
        actor.Client.MfaTicket = ticket;
        try
        {
            return await actor.Client.PatchAsync($"/servers/{server}", ServerOperation, new { owner });
        }
        finally
        {
            actor.Client.MfaTicket = null;
        }
    }

    private static async Task ErrorAsync(Task<StoatSession.Reply> call, HttpStatusCode status, string type)
    {
        var reply = await call;
        Assert.Equal((status, type), (reply.Status, reply.ErrorType));
    }

    private async Task<(OnboardedUser Owner, OnboardedUser Member, string Server, string General)> ServerWithMemberAsync()
    {
        var owner = await OnboardedUser.CreateAsync(api, "founder");
        var member = await OnboardedUser.CreateAsync(api, "heir");
        var created = await owner.Client.PostAsync("/servers/create", "/servers/create", new { name = "Heirloom" });
        var server = created.Body.GetProperty("server").GetProperty("_id").GetString()!;
        var general = created.Body.GetProperty("channels")[0].GetProperty("_id").GetString()!;
        var code = Id(await owner.Client.PostAsync($"/channels/{general}/invites", "/channels/{target}/invites"));
        Assert.Equal(HttpStatusCode.OK, (await member.Client.PostAsync($"/invites/{code}", "/invites/{target}")).Status);
        return (owner, member, server, general);
    }

    [Fact]
    public async Task The_owner_hands_the_server_to_a_member_with_a_validated_ticket()
    {
        var (owner, member, server, _) = await ServerWithMemberAsync();
        var ticket = await TicketAsync(owner);

        var transferred = await TransferAsync(owner, server, member.Id, ticket);
        Assert.Equal((HttpStatusCode.OK, member.Id), (transferred.Status, transferred.Body.GetProperty("owner").GetString()));
        await _events.WaitForAsync(server, "ServerUpdate", e => e.GetProperty("data").TryGetProperty("owner", out var owned) && owned.GetString() == member.Id);
        Assert.Equal(member.Id, (await member.Client.GetAsync($"/servers/{server}", ServerOperation)).Body.GetProperty("owner").GetString());

        // The old owner is now a member like any other: they cannot take it back, and deleting the server leaves it.
        await ErrorAsync(TransferAsync(owner, server, owner.Id, ticket), HttpStatusCode.Forbidden, "NotOwner");
        Assert.Equal(HttpStatusCode.NoContent, (await owner.Client.DeleteAsync($"/servers/{server}", ServerOperation)).Status);
        await _events.WaitForAsync(server, "ServerMemberLeave", e => e.GetProperty("user").GetString() == owner.Id);
        Assert.Equal(HttpStatusCode.OK, (await member.Client.GetAsync($"/servers/{server}", ServerOperation)).Status);
    }

    [Fact]
    public async Task Only_the_owner_may_hand_the_server_over_and_only_with_a_ticket_of_their_own()
    {
        var (owner, member, server, general) = await ServerWithMemberAsync();
        var outsider = await OnboardedUser.CreateAsync(api, "outsider");

        // A member trusted to manage the server is still not its owner; nor is anyone outside it.
        var managers = (await owner.Client.PostAsync($"/servers/{server}/roles", "/servers/{target}/roles", new { name = "Managers" })).Body.GetProperty("id").GetString()!;
        await owner.Client.PutAsync($"/servers/{server}/permissions/{managers}", "/servers/{target}/permissions/{role_id}",
            new { permissions = new { allow = (ulong)ChannelPermission.ManageServer, deny = 0UL } });
        Assert.Equal(HttpStatusCode.OK, (await owner.Client.PatchAsync($"/servers/{server}/members/{member.Id}", "/servers/{server}/members/{member}",
            new { roles = new[] { managers } })).Status);
        await ErrorAsync(TransferAsync(member, server, member.Id, await TicketAsync(member)), HttpStatusCode.Forbidden, "NotOwner");
        await ErrorAsync(TransferAsync(outsider, server, outsider.Id, await TicketAsync(outsider)), HttpStatusCode.Forbidden, "NotOwner");

        // The owner needs a validated ticket of their own account.
        await ErrorAsync(TransferAsync(owner, server, member.Id, null), HttpStatusCode.Unauthorized, "InvalidCredentials");
        await ErrorAsync(TransferAsync(owner, server, member.Id, "not-a-ticket"), HttpStatusCode.Unauthorized, "InvalidCredentials");
        await ErrorAsync(TransferAsync(owner, server, member.Id, await TicketAsync(member)), HttpStatusCode.Unauthorized, "InvalidCredentials");

        Assert.Equal(owner.Id, (await owner.Client.GetAsync($"/servers/{server}", ServerOperation)).Body.GetProperty("owner").GetString());
        Assert.Equal(HttpStatusCode.OK, (await member.Client.GetAsync($"/channels/{general}", "/channels/{target}")).Status);
    }

    [Fact]
    public async Task The_server_goes_only_to_a_member_who_is_a_person_and_a_refusal_keeps_the_ticket()
    {
        var (owner, _, server, _) = await ServerWithMemberAsync();
        var stranger = await OnboardedUser.CreateAsync(api, "stranger");
        var bot = Id(await owner.Client.PostAsync("/bots/create", "/bots/create", new { name = "butler" }));
        Assert.Equal(HttpStatusCode.NoContent, (await owner.Client.PostAsync($"/bots/{bot}/invite", "/bots/{target}/invite", new { server })).Status);
        var ticket = await TicketAsync(owner);

        await ErrorAsync(TransferAsync(owner, server, stranger.Id, ticket), HttpStatusCode.NotFound, "NotFound");
        await ErrorAsync(TransferAsync(owner, server, Spokes.Api.Identity.SecureTokens.NewId(), ticket), HttpStatusCode.NotFound, "NotFound");
        await ErrorAsync(TransferAsync(owner, server, bot, ticket), HttpStatusCode.BadRequest, "InvalidOperation");
        Assert.Equal(owner.Id, (await owner.Client.GetAsync($"/servers/{server}", ServerOperation)).Body.GetProperty("owner").GetString());

        // Nothing was changed, so the ticket still confirms a transfer that is allowed.
        var kept = await TransferAsync(owner, server, owner.Id, ticket);
        Assert.Equal((HttpStatusCode.OK, owner.Id), (kept.Status, kept.Body.GetProperty("owner").GetString()));
        await ErrorAsync(TransferAsync(owner, server, owner.Id, ticket), HttpStatusCode.Unauthorized, "InvalidCredentials");
    }
}
