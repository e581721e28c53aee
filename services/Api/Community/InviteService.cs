using System.Security.Cryptography;
using Spokes.Api.Errors;
using Spokes.Api.Models;
using Spokes.Api.Storage;
using Spokes.Permissions;

namespace Spokes.Api.Community;

/// <summary>Stoat's invites: made for a server channel or a group, looked at by anyone holding the code, joined, deleted.</summary>
public sealed class InviteService(
    CommunityAccess access,
    MemberService members,
    ChannelService channelService,
    IInviteStore invites,
    IMemberStore memberStore,
    IUserStore users)
{
    // Stoat's invite alphabet: no characters that are easy to mistake for one another.
    private const string CodeAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZabcdefghjkmnpqrstvwxyz";

    public static string NewCode() => RandomNumberGenerator.GetString(CodeAlphabet, 8);

    public async Task<Invite> CreateAsync(User actor, string channelId, CancellationToken cancellationToken)
    {
        var at = (await access.InChannelAsync(actor, channelId, cancellationToken)).Require(ChannelPermission.InviteOthers);
        for (var attempt = 0; ; attempt++)
        {
            Invite invite = at.Channel switch
            {
                TextChannel text => new ServerInvite(NewCode(), text.Server, actor.Id, text.Id),
                Group group => new GroupInvite(NewCode(), actor.Id, group.Id),
                _ => throw StoatException.InvalidOperation(),
            };
            try
            {
                await invites.CreateAsync(invite, cancellationToken);
                return invite;
            }
            catch (DuplicateKeyException) when (attempt < 3)
            {
                // 54^8 codes make a collision rare; draw again.
            }
        }
    }

    /// <summary>What the code leads to, for anyone holding it (no session needed).</summary>
    public async Task<InviteResponse> FetchAsync(string code, CancellationToken cancellationToken)
    {
        var invite = await InviteAsync(code, cancellationToken);
        var creator = await users.GetAsync(invite.Creator, cancellationToken);
        var channel = await access.ChannelAsync(invite.Channel, cancellationToken);
        var creatorName = creator?.DisplayName ?? creator?.Username ?? "Deleted User";
        switch (invite, channel)
        {
            case (ServerInvite serverInvite, TextChannel text):
                var server = await access.ServerAsync(serverInvite.Server, cancellationToken);
                return new ServerInviteResponse(invite.Code, server.Id, server.Name, text.Id, text.Name, text.Description, creatorName,
                    await memberStore.CountAsync(server.Id, cancellationToken));
            case (GroupInvite, Group group):
                return new GroupInviteResponse(invite.Code, group.Id, group.Name, group.Description, creatorName);
            default:
                throw StoatException.NotFound();
        }
    }

    public async Task<InviteJoinResponse> JoinAsync(User actor, string code, CancellationToken cancellationToken)
    {
        var invite = await InviteAsync(code, cancellationToken);
        switch (invite)
        {
            case ServerInvite serverInvite:
                var server = await access.ServerAsync(serverInvite.Server, cancellationToken);
                if (await members.IsBannedAsync(server.Id, actor.Id, cancellationToken)) throw StoatException.Banned();
                if (await memberStore.GetAsync(server.Id, actor.Id, cancellationToken) is not null) throw StoatException.AlreadyInServer();
                await members.RequireRoomForAnotherServerAsync(actor, cancellationToken);
                var serverChannels = await members.JoinAsync(actor, server, cancellationToken);
                return new ServerJoinResponse(serverChannels, server);
            default:
                if (await access.ChannelAsync(invite.Channel, cancellationToken) is not Group group) throw StoatException.NotFound();
                var joined = await channelService.JoinGroupAsync(group, actor.Id, invite.Creator, cancellationToken);
                return new GroupJoinResponse(joined, await access.SeenByAsync(actor, joined.Recipients, cancellationToken));
        }
    }

    /// <summary>The invite's creator may delete it, as may whoever manages the server (or owns the group) it leads into.</summary>
    public async Task DeleteAsync(User actor, string code, CancellationToken cancellationToken)
    {
        var invite = await InviteAsync(code, cancellationToken);
        if (invite.Creator != actor.Id)
        {
            switch (invite)
            {
                case ServerInvite serverInvite:
                    (await access.InServerAsync(actor, serverInvite.Server, cancellationToken)).Require(ChannelPermission.ManageServer);
                    break;
                default:
                    (await access.InChannelAsync(actor, invite.Channel, cancellationToken)).Require(ChannelPermission.ManageChannel);
                    break;
            }
        }
        await invites.DeleteAsync(invite.Code, cancellationToken);
    }

    public async Task<IReadOnlyList<Invite>> ListAsync(User actor, string serverId, CancellationToken cancellationToken)
    {
        var at = (await access.InServerAsync(actor, serverId, cancellationToken)).Require(ChannelPermission.ManageServer);
        return await invites.ListByServerAsync(at.Server.Id, cancellationToken);
    }

    private async Task<Invite> InviteAsync(string code, CancellationToken cancellationToken) =>
        await invites.GetAsync(code, cancellationToken) ?? throw StoatException.NotFound();
}
