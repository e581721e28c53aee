using Microsoft.Extensions.Options;
using Spokes.Api.Community;
using Spokes.Api.Configuration;
using Spokes.Api.Errors;
using Spokes.Api.Identity;
using Spokes.Api.Models;
using Spokes.Api.Storage;
using Spokes.Api.Users;
using Spokes.Permissions;

namespace Spokes.Api.Bots;

/// <summary>Stoat's bot routes: a user makes bots, each a user of its own that acts with a token, and invites them in.</summary>
public sealed class BotService(
    CommunityAccess access,
    IBotStore bots,
    IUserStore users,
    IMemberStore members,
    MemberService memberService,
    ChannelService channelService,
    ProfileService profiles,
    IOptionsMonitor<ApiOptions> options)
{
    private static readonly string[] RemovableFields = ["Token", "InteractionsURL"];

    /// <summary>Stoat's <c>Deleted</c> user flag: a deleted bot's user stays so its messages keep an author.</summary>
    private const int DeletedFlag = 2;

    public async Task<BotWithUserResponse> CreateAsync(User owner, CreateBotRequest request, CancellationToken cancellationToken)
    {
        var name = AccountRules.ValidateUsername(request.Name);
        var max = options.CurrentValue.Limits.For(owner.CreatedAt, access.Now).Bots;
        if ((await bots.ListByOwnerAsync(owner.Id, cancellationToken)).Count >= max) throw StoatException.ReachedMaximumBots();
        var id = SecureTokens.NewId();
        var user = await UserCreation.CreateAsync(users, name,
            discriminator => new User(id, name, discriminator, null, 0, 0, false, access.Now, BotOwner: owner.Id), cancellationToken);
        var bot = new Bot(id, owner.Id, SecureTokens.NewToken(), Public: false);
        await bots.CreateAsync(bot, cancellationToken);
        // A bot just made has no socket yet.
        return BotWithUserResponse.Of(bot, UserResponse.Seen(user, RelationshipStatus.None, online: false));
    }

    public async Task<OwnedBotsResponse> ListOwnedAsync(User owner, CancellationToken cancellationToken)
    {
        var owned = await bots.ListByOwnerAsync(owner.Id, cancellationToken);
        var botUsers = await access.SeenByAsync(owner, owned.Select(b => b.Id).ToList(), cancellationToken);
        return new OwnedBotsResponse(owned, botUsers);
    }

    public async Task<FetchBotResponse> FetchAsync(User owner, string botId, CancellationToken cancellationToken)
    {
        var bot = await OwnedAsync(owner, botId, cancellationToken);
        return new FetchBotResponse(bot, (await access.SeenByAsync(owner, [bot.Id], cancellationToken)).Single());
    }

    /// <summary>What anyone may see of a public bot before inviting it (its owner sees a private one too).</summary>
    public async Task<PublicBotResponse> FetchPublicAsync(User actor, string botId, CancellationToken cancellationToken)
    {
        var bot = await bots.GetAsync(botId, cancellationToken);
        if (bot is null || !bot.Public && bot.Owner != actor.Id) throw StoatException.NotFound();
        var user = await users.GetAsync(bot.Id, cancellationToken) ?? throw StoatException.NotFound();
        return new PublicBotResponse(bot.Id, user.Username, user.ProfileContent);
    }

    public async Task<BotWithUserResponse> EditAsync(User owner, string botId, EditBotRequest request, CancellationToken cancellationToken)
    {
        var bot = await OwnedAsync(owner, botId, cancellationToken);
        var remove = Validation.Removals(request.Remove, RemovableFields);
        var name = request.Name is null ? null : AccountRules.ValidateUsername(request.Name);
        Validation.Length(request.InteractionsUrl, "interactions_url", 1, 2048);

        var edited = bot with
        {
            Public = request.Public ?? bot.Public,
            Analytics = request.Analytics ?? bot.Analytics,
            InteractionsUrl = remove.Contains("InteractionsURL") ? null : request.InteractionsUrl ?? bot.InteractionsUrl,
            // Removing the token makes a new one: the old one stops working at once.
            Token = remove.Contains("Token") ? SecureTokens.NewToken() : bot.Token,
        };
        if (name is not null)
        {
            var user = await users.GetAsync(bot.Id, cancellationToken) ?? throw StoatException.NotFound();
            if (name != user.Username) await profiles.RenameAsync(user, name, cancellationToken);
        }
        await bots.UpdateAsync(edited, cancellationToken);
        return BotWithUserResponse.Of(edited, (await access.SeenByAsync(owner, [bot.Id], cancellationToken)).Single());
    }

    /// <summary>The bot stops working and leaves every server; its user remains, flagged deleted, as the author of what it posted.</summary>
    public async Task DeleteAsync(User owner, string botId, CancellationToken cancellationToken)
    {
        var bot = await OwnedAsync(owner, botId, cancellationToken);
        await bots.DeleteAsync(bot.Id, cancellationToken);
        if (await users.GetAsync(bot.Id, cancellationToken) is { } user)
        {
            foreach (var serverId in await members.ServersOfAsync(bot.Id, cancellationToken))
                await memberService.RemoveAsync(await access.ServerAsync(serverId, cancellationToken), bot.Id, "Leave", cancellationToken, silently: true);
            await users.UpdateProfileAsync(user with { Flags = user.Flags | DeletedFlag }, cancellationToken);
        }
    }

    /// <summary>Adds the bot to a server (the inviter needs ManageServer) or a group the inviter is in.</summary>
    public async Task InviteAsync(User actor, string botId, InviteBotRequest request, CancellationToken cancellationToken)
    {
        var bot = await bots.GetAsync(botId, cancellationToken) ?? throw StoatException.NotFound();
        if (!bot.Public && bot.Owner != actor.Id) throw StoatException.BotIsPrivate();
        var botUser = await users.GetAsync(bot.Id, cancellationToken) ?? throw StoatException.NotFound();
        switch (request)
        {
            case { Server: { } serverId, Group: null }:
                var at = (await access.InServerAsync(actor, serverId, cancellationToken)).Require(ChannelPermission.ManageServer);
                if (await memberService.IsBannedAsync(serverId, bot.Id, cancellationToken)) throw StoatException.Banned();
                await memberService.JoinAsync(botUser, at.Server, cancellationToken);
                break;
            case { Group: { } groupId, Server: null }:
                var inGroup = (await access.InChannelAsync(actor, groupId, cancellationToken)).Require(ChannelPermission.InviteOthers);
                if (inGroup.Channel is not Group group) throw StoatException.InvalidOperation();
                await channelService.JoinGroupAsync(group, bot.Id, actor.Id, cancellationToken);
                break;
            default:
                throw StoatException.FailedValidation("give either server or group");
        }
    }

    private async Task<Bot> OwnedAsync(User owner, string botId, CancellationToken cancellationToken)
    {
        var bot = await bots.GetAsync(botId, cancellationToken);
        return bot is not null && bot.Owner == owner.Id ? bot : throw StoatException.NotFound();
    }
}
