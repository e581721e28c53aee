using System.Net;
using Microsoft.AspNetCore.Hosting;
using Spokes.Permissions;

namespace Spokes.Api.Tests;

/// <summary>
/// A webhook never holds more than its maker: an editor gives only permissions they hold in the channel, the
/// token alone can only take permissions away, and a post is limited to what the maker may still do.
/// </summary>
[Collection(nameof(ApiCollection))]
public class WebhookPermissionTests(ApiFixture api)
{
    private const ChannelPermission Mass = ChannelPermission.MentionEveryone | ChannelPermission.MentionRoles | ChannelPermission.ManageRole;

    private StoatSession Enabled(string? token = null) =>
        new(api.Factory.WithWebHostBuilder(web => web.UseSetting("Api:WebhooksEnabled", "true")).CreateClient()) { Token = token };

    private static async Task ErrorAsync(Task<StoatSession.Reply> call, HttpStatusCode status, string type)
    {
        var reply = await call;
        Assert.Equal((status, type), (reply.Status, reply.ErrorType));
    }

    /// <summary>An owner's server whose member holds a role granting <paramref name="granted"/>.</summary>
    private async Task<(OnboardedUser Owner, OnboardedUser Member, string Server, string Channel, string Role)> ServerWithRoleAsync(ChannelPermission granted)
    {
        var owner = await OnboardedUser.CreateAsync(api, "hookowner");
        var member = await OnboardedUser.CreateAsync(api, "hookmaker");
        var created = await owner.Client.PostAsync("/servers/create", "/servers/create", new { name = "Hooks" });
        var server = created.Body.GetProperty("server").GetProperty("_id").GetString()!;
        var channel = created.Body.GetProperty("channels")[0].GetProperty("_id").GetString()!;
        var invite = await owner.Client.PostAsync($"/channels/{channel}/invites", "/channels/{target}/invites");
        Assert.Equal(HttpStatusCode.OK, (await member.Client.PostAsync($"/invites/{invite.Body.GetProperty("_id").GetString()}", "/invites/{target}")).Status);
        var role = (await owner.Client.PostAsync($"/servers/{server}/roles", "/servers/{target}/roles", new { name = "Hooks" })).Body.GetProperty("id").GetString()!;
        await GrantAsync(owner, server, role, granted);
        Assert.Equal(HttpStatusCode.OK, (await owner.Client.PatchAsync($"/servers/{server}/members/{member.Id}", "/servers/{server}/members/{member}",
            new { roles = new[] { role } })).Status);
        return (owner, member, server, channel, role);
    }

    private static async Task GrantAsync(OnboardedUser owner, string server, string role, ChannelPermission granted) =>
        Assert.Equal(HttpStatusCode.OK, (await owner.Client.PutAsync($"/servers/{server}/permissions/{role}", "/servers/{target}/permissions/{role_id}",
            new { permissions = new { allow = (ulong)granted, deny = 0UL } })).Status);

    private async Task<(string Id, string Token)> CreateWebhookAsync(OnboardedUser maker, string channel)
    {
        var created = await Enabled(maker.Client.Token).PostAsync($"/channels/{channel}/webhooks", "/channels/{target}/webhooks", new { name = "Hook" });
        Assert.Equal(HttpStatusCode.OK, created.Status);
        return (created.Body.GetProperty("id").GetString()!, created.Body.GetProperty("token").GetString()!);
    }

    private async Task<long> PermissionsOfAsync(OnboardedUser maker, string webhook) =>
        (await Enabled(maker.Client.Token).GetAsync($"/webhooks/{webhook}", "/webhooks/{webhook_id}")).Body.GetProperty("permissions").GetInt64();

    [Fact]
    public async Task An_editor_gives_a_webhook_only_permissions_they_hold()
    {
        var (_, member, _, channel, _) = await ServerWithRoleAsync(ChannelPermission.ManageWebhooks);
        var (webhook, token) = await CreateWebhookAsync(member, channel);

        await ErrorAsync(Enabled(member.Client.Token).PatchAsync($"/webhooks/{webhook}", "/webhooks/{webhook_id}", new { permissions = (ulong)ChannelPermission.GrantAllSafe }),
            HttpStatusCode.Forbidden, "CannotGiveMissingPermissions");
        await ErrorAsync(Enabled(member.Client.Token).PatchAsync($"/webhooks/{webhook}", "/webhooks/{webhook_id}",
            new { permissions = (ulong)(DefaultPermissions.Webhook | ChannelPermission.MentionEveryone) }), HttpStatusCode.Forbidden, "CannotGiveMissingPermissions");
        Assert.Equal((long)DefaultPermissions.Webhook, await PermissionsOfAsync(member, webhook));

        // Taking away, and renaming, stay open to the editor.
        var lowered = await Enabled(member.Client.Token).PatchAsync($"/webhooks/{webhook}", "/webhooks/{webhook_id}",
            new { name = "Quiet", permissions = (ulong)ChannelPermission.SendMessage });
        Assert.Equal((HttpStatusCode.OK, (long)ChannelPermission.SendMessage), (lowered.Status, lowered.Body.GetProperty("permissions").GetInt64()));

        await ErrorAsync(Enabled().PostAsync($"/webhooks/{webhook}/{token}", "/webhooks/{webhook_id}/{token}", new { content = "@everyone look" }),
            HttpStatusCode.Forbidden, "MissingPermission");
    }

    [Fact]
    public async Task The_token_alone_can_only_take_permissions_away()
    {
        var (owner, _, _, channel, _) = await ServerWithRoleAsync(ChannelPermission.None);
        var (webhook, token) = await CreateWebhookAsync(owner, channel);
        var anonymous = Enabled();

        await ErrorAsync(anonymous.PatchAsync($"/webhooks/{webhook}/{token}", "/webhooks/{webhook_id}/{token}", new { permissions = (ulong)ChannelPermission.GrantAllSafe }),
            HttpStatusCode.Forbidden, "CannotGiveMissingPermissions");
        Assert.Equal((long)DefaultPermissions.Webhook, await PermissionsOfAsync(owner, webhook));

        var lowered = await anonymous.PatchAsync($"/webhooks/{webhook}/{token}", "/webhooks/{webhook_id}/{token}", new { permissions = (ulong)ChannelPermission.SendMessage });
        Assert.Equal((HttpStatusCode.OK, (long)ChannelPermission.SendMessage), (lowered.Status, lowered.Body.GetProperty("permissions").GetInt64()));
        await ErrorAsync(anonymous.PatchAsync($"/webhooks/{webhook}/{token}", "/webhooks/{webhook_id}/{token}", new { permissions = (ulong)DefaultPermissions.Webhook }),
            HttpStatusCode.Forbidden, "CannotGiveMissingPermissions");
        Assert.Equal((long)ChannelPermission.SendMessage, await PermissionsOfAsync(owner, webhook));
    }

    [Fact]
    public async Task A_webhook_posts_with_no_more_than_its_maker_may_still_do()
    {
        var (owner, member, server, channel, role) = await ServerWithRoleAsync(ChannelPermission.ManageWebhooks | ChannelPermission.Masquerade | Mass);
        var (webhook, token) = await CreateWebhookAsync(member, channel);
        Assert.Equal(HttpStatusCode.OK, (await Enabled(member.Client.Token).PatchAsync($"/webhooks/{webhook}", "/webhooks/{webhook_id}",
            new { permissions = (ulong)(DefaultPermissions.Webhook | Mass) })).Status);
        var anonymous = Enabled();
        var loud = new { content = $"@everyone and <%{role}>", masquerade = new { name = "Bot", colour = "red" } };
        var posted = await anonymous.PostAsync($"/webhooks/{webhook}/{token}", "/webhooks/{webhook_id}/{token}", loud);
        Assert.Equal(HttpStatusCode.OK, posted.Status);
        Assert.Equal(role, posted.Body.GetProperty("role_mentions")[0].GetString());

        // The maker loses the right to mention everyone, roles and to colour names: so does their webhook.
        await GrantAsync(owner, server, role, ChannelPermission.ManageWebhooks | ChannelPermission.Masquerade);
        await ErrorAsync(anonymous.PostAsync($"/webhooks/{webhook}/{token}", "/webhooks/{webhook_id}/{token}", new { content = "@everyone again" }),
            HttpStatusCode.Forbidden, "MissingPermission");
        await ErrorAsync(anonymous.PostAsync($"/webhooks/{webhook}/{token}", "/webhooks/{webhook_id}/{token}", new { content = $"<%{role}>" }),
            HttpStatusCode.Forbidden, "MissingPermission");
        await ErrorAsync(anonymous.PostAsync($"/webhooks/{webhook}/{token}", "/webhooks/{webhook_id}/{token}", new { content = "hi", masquerade = new { name = "Bot", colour = "red" } }),
            HttpStatusCode.Forbidden, "MissingPermission");
        Assert.Equal(HttpStatusCode.OK, (await anonymous.PostAsync($"/webhooks/{webhook}/{token}", "/webhooks/{webhook_id}/{token}", new { content = "plain" })).Status);

        // A maker who leaves the server takes the webhook's voice with them.
        Assert.Equal(HttpStatusCode.NoContent, (await member.Client.DeleteAsync($"/servers/{server}", "/servers/{target}")).Status);
        await ErrorAsync(anonymous.PostAsync($"/webhooks/{webhook}/{token}", "/webhooks/{webhook_id}/{token}", new { content = "plain" }),
            HttpStatusCode.Forbidden, "MissingPermission");
    }
}
