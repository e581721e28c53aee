using Microsoft.Extensions.Options;
using System.Text.RegularExpressions;
using Spokes.Api.Configuration;
using Spokes.Api.Errors;
using Spokes.Api.Events;
using Spokes.Api.Files;
using Spokes.Api.Models;
using Spokes.Api.Storage;
using Spokes.Contracts.Files.V1;
using Spokes.Permissions;

namespace Spokes.Api.Community;

/// <summary>Stoat's custom emojis: a server's own images, made from files uploaded to Autumn.</summary>
public sealed partial class EmojiService(CommunityAccess access, IEmojiStore emojis, EventPublisher events, IFileClaims files,
    IOptionsMonitor<ApiOptions> options)
{
    [GeneratedRegex("^[a-z0-9_]{1,32}$", RegexLimits.UserInput, RegexLimits.MatchTimeoutMilliseconds)]
    private static partial Regex EmojiName();

    public async Task<Emoji> CreateAsync(User actor, string fileId, CreateEmojiRequest request, CancellationToken cancellationToken)
    {
        var name = request.Name is { } given && EmojiName().IsMatch(given)
            ? given
            : throw StoatException.FailedValidation("name must be 1–32 of a–z, 0–9 and _");
        if (request.Parent is not ServerEmojiParent { Id: var serverId }) throw StoatException.InvalidOperation();
        var at = (await access.InServerAsync(actor, serverId, cancellationToken)).Require(ChannelPermission.ManageCustomisation);
        var max = options.CurrentValue.Limits.Global.ServerEmoji;
        if ((await emojis.ListByServerAsync(at.Server.Id, cancellationToken)).Count >= max) throw StoatException.TooManyEmoji(max);
        if (await emojis.GetAsync(fileId, cancellationToken) is not null) throw StoatException.InvalidOperation();
        // The emoji's id is its image's: a file the actor uploaded under "emojis", claimed last of all.
        var image = await files.ClaimOneAsync(fileId, FileTags.Emojis, actor.Id,
            new FileUse { Kind = FileUseKind.Emoji, Id = fileId, ServerId = at.Server.Id }, cancellationToken);
        var emoji = new Emoji(image.Id, new ServerEmojiParent(at.Server.Id), actor.Id, name, Animated: image.ContentType == "image/gif", Nsfw: request.Nsfw ?? false);
        await files.ReleaseIfFailsAsync([image], async () =>
        {
            await emojis.CreateAsync(emoji, cancellationToken);
            return emoji;
        });
        await events.PublishAsync(at.Server.Id, new EmojiCreateEvent(emoji));
        return emoji;
    }

    public async Task<Emoji> FetchAsync(string emojiId, CancellationToken cancellationToken) =>
        await emojis.GetAsync(emojiId, cancellationToken) ?? throw StoatException.NotFound();

    public async Task<IReadOnlyList<Emoji>> ListAsync(User actor, string serverId, CancellationToken cancellationToken)
    {
        var at = (await access.InServerAsync(actor, serverId, cancellationToken)).Require(ChannelPermission.ViewChannel);
        return await emojis.ListByServerAsync(at.Server.Id, cancellationToken);
    }

    public async Task<Emoji> EditAsync(User actor, string emojiId, EditEmojiRequest request, CancellationToken cancellationToken)
    {
        var emoji = await ManagedAsync(actor, emojiId, cancellationToken);
        if (request.Name is not { } name || !EmojiName().IsMatch(name)) throw StoatException.FailedValidation("name must be 1–32 of a–z, 0–9 and _");
        var edited = emoji with { Name = name };
        // The name alone: a delete at the same time is not undone.
        if (!await emojis.UpdateAsync(emoji.Id, new FieldUpdate().Set("name", name), cancellationToken)) throw StoatException.NotFound();
        await events.PublishAsync(((ServerEmojiParent)emoji.Parent).Id, new EmojiUpdateEvent(emoji.Id, new Dictionary<string, object?> { ["name"] = name }, []));
        return edited;
    }

    /// <summary>
    /// Takes the emoji off its server. As in Stoat it is detached rather than erased, so messages and
    /// reactions that use it still show it.
    /// </summary>
    public async Task DeleteAsync(User actor, string emojiId, CancellationToken cancellationToken)
    {
        var emoji = await ManagedAsync(actor, emojiId, cancellationToken);
        await emojis.UpdateAsync(emoji.Id, new FieldUpdate().Set<EmojiParent>("parent", new DetachedEmojiParent()), cancellationToken);
        await events.PublishAsync(((ServerEmojiParent)emoji.Parent).Id, new EmojiDeleteEvent(emoji.Id));
    }

    /// <summary>Its creator may change it, as may whoever can manage the server's customisation.</summary>
    private async Task<Emoji> ManagedAsync(User actor, string emojiId, CancellationToken cancellationToken)
    {
        var emoji = await FetchAsync(emojiId, cancellationToken);
        if (emoji.Parent is not ServerEmojiParent { Id: var serverId }) throw StoatException.NotFound();
        var at = await access.InServerAsync(actor, serverId, cancellationToken);
        if (emoji.CreatorId != actor.Id) at.Require(ChannelPermission.ManageCustomisation);
        return emoji;
    }
}
