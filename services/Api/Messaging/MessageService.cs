using Microsoft.Extensions.Options;
using Spokes.Api.Community;
using Spokes.Api.Configuration;
using Spokes.Api.Errors;
using Spokes.Api.Events;
using Spokes.Api.Files;
using Spokes.Api.Identity;
using Spokes.Api.Models;
using Spokes.Api.Storage;
using Spokes.Contracts.Files.V1;
using Spokes.Permissions;
using StackExchange.Redis;

namespace Spokes.Api.Messaging;

/// <summary>Stoat's message routes: send, history, fetch, edit, delete, bulk delete, pins, reactions and search.</summary>
public sealed class MessageService(
    CommunityAccess access,
    IMessageStore messages,
    IMemberStore members,
    IEmojiStore emojis,
    MessagePoster poster,
    OutboxSignal outboxSignal,
    EventPublisher events,
    Users.PresenceReader presence,
    IConnectionMultiplexer redis,
    IOptionsMonitor<ApiOptions> options,
    IFileClaims files,
    ILogger<MessageService> logger)
{
    private const ChannelPermission ReadHistory = ChannelPermission.ViewChannel | ChannelPermission.ReadMessageHistory;

    /// <summary>How long an <c>Idempotency-Key</c> (or legacy <c>nonce</c>) is remembered, per user.</summary>
    private static readonly TimeSpan IdempotencyWindow = TimeSpan.FromHours(1);

    private GlobalLimits Global => options.CurrentValue.Limits.Global;

    public async Task<Message> SendAsync(User actor, string channelId, SendMessageRequest request, string? idempotencyKey, CancellationToken cancellationToken)
    {
        // The author's presence is read from Redis while the store is asked for the channel, not after it.
        var connected = presence.IsConnectedAsync(actor.Id);
        var at = (await access.InChannelAsync(actor, channelId, cancellationToken)).Require(ChannelPermission.SendMessage);
        var sender = new MessageSender(actor.Id, actor.DisplayName ?? actor.Username, options.CurrentValue.Limits.For(actor.CreatedAt, access.Now),
            // As Stoat's event carries it: the author's presence for all, each receiver's relationship left to their client.
            UserResponse.Seen(actor, RelationshipStatus.None, Users.PresenceVisibility.ToSelf(actor, await connected)), at.Member,
            Webhook: null);
        return await ComposeAndPostAsync(sender, at.Channel, at.Server, at.Permissions, request, idempotencyKey, cancellationToken);
    }

    /// <summary>A webhook posts with its own permissions, under its own name, limited as a long-standing user.</summary>
    public async Task<Message> SendAsWebhookAsync(Webhook webhook, SendMessageRequest request, string? idempotencyKey, CancellationToken cancellationToken)
    {
        var channel = await access.ChannelAsync(webhook.ChannelId, cancellationToken);
        var server = channel is TextChannel text ? await access.ServerAsync(text.Server, cancellationToken) : null;
        var permissions = (ChannelPermission)webhook.Permissions;
        PermissionCalculator.Require(permissions, ChannelPermission.SendMessage);
        var sender = new MessageSender(webhook.Id, webhook.Name, options.CurrentValue.Limits.Default, null, null, new MessageWebhook(webhook.Name, webhook.Avatar?.Id));
        return await ComposeAndPostAsync(sender, channel, server, permissions, request, idempotencyKey, cancellationToken);
    }

    /// <summary>Who a message is from, as its author, and the limits they send under.</summary>
    private sealed record MessageSender(string AuthorId, string Name, UserLimits Limits, UserResponse? User, Member? Member, MessageWebhook? Webhook);

    private async Task<Message> ComposeAndPostAsync(MessageSender sender, Channel channel, Server? server, ChannelPermission permissions,
        SendMessageRequest request, string? idempotencyKey, CancellationToken cancellationToken)
    {
        void Require(ChannelPermission permission) => PermissionCalculator.Require(permissions, permission);
        var limits = sender.Limits;

        // Everything is checked before anything is written: a refused message changes nothing.
        var content = string.IsNullOrEmpty(request.Content) ? null : request.Content;
        var embeds = request.Embeds ?? [];
        var attachments = request.Attachments ?? [];
        var replies = request.Replies ?? [];
        if (embeds.Count > Global.MessageEmbeds) throw StoatException.TooManyEmbeds(Global.MessageEmbeds);
        if (replies.Count > Global.MessageReplies) throw StoatException.TooManyReplies(Global.MessageReplies);
        if (attachments.Count > limits.MessageAttachments) throw StoatException.TooManyAttachments(limits.MessageAttachments);
        if (content is null && embeds.Count == 0 && attachments.Count == 0) throw StoatException.EmptyMessage();
        MessageRules.RequireLength(content, embeds, limits.MessageLength);
        Validation.Length(request.Nonce, "nonce", 1, 64);
        Validation.Length(idempotencyKey, "Idempotency-Key", 1, 64);
        if (request.Flags is { } requested && (requested & ~(int)MessageFlags.SuppressNotifications) != 0)
            throw StoatException.FailedValidation("flags may only hold SuppressNotifications (1)");

        if (embeds.Count > 0) Require(ChannelPermission.SendEmbeds);
        var textEmbeds = embeds.Select(MessageRules.ToEmbed).ToList();
        if (attachments.Count > 0) Require(ChannelPermission.UploadFiles);
        if (request.Masquerade is { } masquerade)
        {
            MessageRules.RequireMasquerade(masquerade);
            Require(ChannelPermission.Masquerade);
            if (masquerade.Colour is not null) Require(ChannelPermission.ManageRole);
        }
        if (request.Interactions is { } interactions)
        {
            if (interactions.Reactions is { Count: > 0 } offered)
            {
                Require(ChannelPermission.React);
                if (offered.Count > Global.MessageReactions) throw StoatException.InvalidProperty();
                foreach (var emoji in offered)
                    if (!await IsUsableEmojiAsync(emoji, cancellationToken)) throw StoatException.InvalidProperty();
            }
            else if (interactions.RestrictReactions)
            {
                throw StoatException.InvalidProperty();
            }
        }

        var mentioned = MessageRules.FindMentions(content);
        var replyIds = new List<string>();
        var mentionedUsers = mentioned.Users.ToList();
        var found = (await messages.GetManyAsync(channel.Id, replies.Select(r => r.Id ?? "").ToList(), cancellationToken)).ToDictionary(m => m.Id);
        foreach (var reply in replies)
        {
            if (reply.Id is null || !found.TryGetValue(reply.Id, out var original))
            {
                if (reply.FailIfNotExists ?? true) throw StoatException.UnknownMessage();
                continue;
            }
            if (replyIds.Contains(original.Id)) continue;
            replyIds.Add(original.Id);
            if (reply.Mention && original.Author != MessageRules.SystemAuthor && original.Webhook is null) mentionedUsers.Add(original.Author);
        }

        var flags = (MessageFlags)(request.Flags ?? 0);
        var roleMentions = new List<string>();
        IReadOnlyList<string> mentions;
        if (server is not null)
        {
            roleMentions = mentioned.Roles.Where(server.Roles.ContainsKey).ToList();
            if (roleMentions.Count > 0) Require(ChannelPermission.MentionRoles);
            if (mentioned.Everyone || mentioned.Online) Require(ChannelPermission.MentionEveryone);
            if (mentioned.Everyone) flags |= MessageFlags.MentionsEveryone;
            if (mentioned.Online) flags |= MessageFlags.MentionsOnline;
            var present = (await members.GetManyAsync(server.Id, mentionedUsers, cancellationToken)).Select(m => m.Id.User).ToHashSet();
            mentions = mentionedUsers.Distinct().Where(present.Contains).ToList();
        }
        else
        {
            var present = channel.PrivateUsers();
            mentions = mentionedUsers.Distinct().Where(present.Contains).ToList();
        }

        var key = idempotencyKey ?? request.Nonce;
        // Last of the checks: a message refused for any other reason neither uses its key nor starts the wait.
        var slowmode = channel is TextChannel { Slowmode: > 0 } slow && !permissions.HasFlag(ChannelPermission.BypassSlowmode)
            ? TimeSpan.FromSeconds(slow.Slowmode) : (TimeSpan?)null;
        switch (await ClaimSendAsync(sender.AuthorId, key, channel.Id, slowmode))
        {
            case SendClaim.Duplicate: throw StoatException.DuplicateNonce();
            case SendClaim.Wait { Left: var left }: throw StoatException.SlowmodeActive((long)left.TotalMilliseconds);
        }

        var messageId = SecureTokens.NewId();
        try
        {
            // The attachments are claimed last of all, and released if the message is not stored, so a refused message uses no file.
            IReadOnlyList<AutumnFile> claimed = attachments.Count == 0 ? [] : await files.ClaimAsync(attachments, FileTags.Attachments, sender.AuthorId,
                new FileUse { Kind = FileUseKind.Message, Id = messageId, ServerId = server?.Id ?? "" }, cancellationToken);
            var message = new Message(messageId, channel.Id, sender.AuthorId,
                Nonce: request.Nonce,
                Webhook: sender.Webhook,
                Content: content,
                Attachments: claimed.Count == 0 ? null : claimed,
                Embeds: textEmbeds.Count == 0 ? null : textEmbeds,
                Mentions: mentions.Count == 0 ? null : mentions,
                RoleMentions: roleMentions.Count == 0 ? null : roleMentions,
                Replies: replyIds.Count == 0 ? null : replyIds,
                Interactions: request.Interactions is { Reactions.Count: > 0 } ? request.Interactions : null,
                Masquerade: request.Masquerade,
                Flags: (int)flags);
            return await files.ReleaseIfFailsAsync(claimed, async () =>
            {
                await poster.PostAsync(message, channel, request.Masquerade?.Name ?? sender.Name, sender.User, sender.Member, cancellationToken);
                return message;
            });
        }
        catch when (key is not null)
        {
            // The message was not stored, so the client may retry with the same key.
            await ReleaseIdempotencyKeyAsync(sender.AuthorId, key);
            throw;
        }
    }

    public async Task<Message> FetchAsync(User actor, string channelId, string messageId, CancellationToken cancellationToken)
    {
        await ReadAccessAsync(actor, channelId, cancellationToken);
        return await MessageAsync(channelId, messageId, cancellationToken);
    }

    /// <summary>A page of history: by <paramref name="before"/>/<paramref name="after"/> in either order, or the messages around <paramref name="nearby"/>.</summary>
    public async Task<IResult> QueryAsync(User actor, string channelId, long? limit, string? before, string? after, string? sort, string? nearby,
        bool includeUsers, CancellationToken cancellationToken)
    {
        var at = await ReadAccessAsync(actor, channelId, cancellationToken);
        var size = PageSize(limit);
        var order = sort is null ? MessageSort.Latest
            : Enum.TryParse<MessageSort>(sort, out var parsed) && Enum.IsDefined(parsed) && sort == parsed.ToString() ? parsed
            : throw StoatException.FailedValidation("sort must be Latest or Oldest");
        if (order == MessageSort.Relevance) throw StoatException.FailedValidation("sort Relevance needs a search query (POST /channels/{id}/search)");
        OptionalId(before, "before");
        OptionalId(after, "after");

        IReadOnlyList<Message> page;
        if (nearby is not null)
        {
            MessageRules.RequireId(nearby, "nearby");
            if (before is not null || after is not null) throw StoatException.FailedValidation("nearby cannot be combined with before or after");
            // Half the page older than the message, the rest the message itself and what came after it; newest first.
            var target = await messages.GetAsync(channelId, nearby, cancellationToken);
            var older = size / 2 == 0 ? [] : await messages.QueryAsync(new MessageQuery(channelId, size / 2, MessageSort.Latest, Before: nearby), cancellationToken);
            var newerLimit = size - older.Count - (target is null ? 0 : 1);
            var newer = newerLimit <= 0 ? [] : await messages.QueryAsync(new MessageQuery(channelId, newerLimit, MessageSort.Oldest, After: nearby), cancellationToken);
            page = [.. newer.Reverse(), .. target is null ? Array.Empty<Message>() : [target], .. older];
        }
        else
        {
            page = await messages.QueryAsync(new MessageQuery(channelId, size, order, before, after), cancellationToken);
        }
        return includeUsers ? TypedResults.Ok(await WithUsersAsync(actor, at, page, cancellationToken)) : TypedResults.Ok(page);
    }

    public async Task<IResult> SearchAsync(User actor, string channelId, SearchMessagesRequest request, CancellationToken cancellationToken)
    {
        var at = await ReadAccessAsync(actor, channelId, cancellationToken);
        MessageRules.RequireSearchQuery(request.Query);
        if (request.Query is not null && request.Pinned is not null) throw StoatException.FailedValidation("pinned cannot be sent with query");
        OptionalId(request.Before, "before");
        OptionalId(request.After, "after");
        var sort = request.Sort ?? MessageSort.Relevance;
        if (sort == MessageSort.Relevance && request.Query is null) sort = MessageSort.Latest;
        var page = await messages.QueryAsync(
            new MessageQuery(channelId, PageSize(request.Limit), sort, request.Before, request.After, request.Query, request.Pinned), cancellationToken);
        return request.IncludeUsers == true ? TypedResults.Ok(await WithUsersAsync(actor, at, page, cancellationToken)) : TypedResults.Ok(page);
    }

    public async Task<Message> EditAsync(User actor, string channelId, string messageId, EditMessageRequest request, CancellationToken cancellationToken)
    {
        var at = (await access.InChannelAsync(actor, channelId, cancellationToken)).Require(ChannelPermission.SendMessage);
        return await EditAsync(actor.Id, at.Permissions, options.CurrentValue.Limits.For(actor.CreatedAt, access.Now), channelId, messageId, request,
            cancellationToken);
    }

    public Task<Message> EditAsWebhookAsync(Webhook webhook, string messageId, EditMessageRequest request, CancellationToken cancellationToken) =>
        EditAsync(webhook.Id, (ChannelPermission)webhook.Permissions, options.CurrentValue.Limits.Default, webhook.ChannelId, messageId, request, cancellationToken);

    /// <summary>
    /// Writes only what the edit changes, so a pin or another edit at the same time keeps what it changed. The
    /// length of embeds given alone is checked against the content as read: the write expects that content unchanged.
    /// </summary>
    private Task<Message> EditAsync(string authorId, ChannelPermission permissions, UserLimits limits, string channelId, string messageId,
        EditMessageRequest request, CancellationToken cancellationToken) => OptimisticWrite.RetryAsync(async () =>
    {
        var message = await MessageAsync(channelId, messageId, cancellationToken);
        if (message.Author != authorId) throw StoatException.CannotEditMessage();
        if (request.Content is null && request.Embeds is null) throw StoatException.FailedValidation("give content or embeds to change");
        Validation.Length(request.Content, "content", 1, limits.MessageLength);
        if (request.Embeds is { } embeds)
        {
            if (embeds.Count > Global.MessageEmbeds) throw StoatException.TooManyEmbeds(Global.MessageEmbeds);
            if (embeds.Count > 0) PermissionCalculator.Require(permissions, ChannelPermission.SendEmbeds);
        }
        MessageRules.RequireLength(request.Content ?? message.Content, request.Embeds, limits.MessageLength);
        var textEmbeds = request.Embeds?.Select(MessageRules.ToEmbed).ToList();

        // As in Stoat, an edit drops the embeds January made from the old text and keeps (or replaces) the author's.
        var dropsRemote = request.Embeds is null && message.Embeds?.Any(e => e is RemoteEmbed) == true;
        var kept = request.Embeds is null ? message.Embeds?.OfType<TextEmbed>().ToList() : textEmbeds;
        var edited = message with
        {
            Content = request.Content ?? message.Content,
            Embeds = kept is { Count: > 0 } ? kept : null,
            Edited = access.Now,
        };
        var update = new FieldUpdate().Set("edited", edited.Edited);
        if (request.Content is not null) update.Set("content", edited.Content);
        else update.Expect("content", message.Content);
        if (request.Embeds is not null) update.Set("embeds", edited.Embeds);
        // Rewritten from the embeds as read: an edit of them meanwhile (which sets edited too) makes this one read again.
        if (dropsRemote) update.Set("embeds", edited.Embeds).Expect("edited", message.Edited);
        // January is asked for the new text's links in the same write, through the outbox, as for a new message.
        var embedsRequest = request.Content is not null && permissions.HasFlag(ChannelPermission.SendEmbeds) ? MessagePoster.EmbedsRequest(edited) : [];
        if (!await messages.UpdateAsync(channelId, messageId, update, embedsRequest, cancellationToken)) return null;
        var data = new Dictionary<string, object?> { ["edited"] = edited.Edited };
        if (request.Content is not null) data["content"] = edited.Content;
        if (request.Embeds is not null || dropsRemote) data["embeds"] = edited.Embeds ?? [];
        await events.PublishAsync(channelId, new MessageUpdateEvent(edited.Id, channelId, data, []));
        if (embedsRequest.Count > 0) outboxSignal.Notify();
        return edited;
    });

    public async Task DeleteAsync(User actor, string channelId, string messageId, CancellationToken cancellationToken)
    {
        // Checked before the message is looked up, so one who cannot see the channel learns nothing of its ids.
        var at = (await access.InChannelAsync(actor, channelId, cancellationToken)).Require(ChannelPermission.ViewChannel);
        var message = await MessageAsync(channelId, messageId, cancellationToken);
        if (message.Author != actor.Id) at.Require(ChannelPermission.ManageMessages);
        await DeleteAsync(message, cancellationToken);
    }

    /// <summary>A webhook deletes only what it posted.</summary>
    public async Task DeleteAsWebhookAsync(Webhook webhook, string messageId, CancellationToken cancellationToken)
    {
        var message = await MessageAsync(webhook.ChannelId, messageId, cancellationToken);
        if (message.Author != webhook.Id) throw StoatException.CannotEditMessage();
        await DeleteAsync(message, cancellationToken);
    }

    private async Task DeleteAsync(Message message, CancellationToken cancellationToken)
    {
        await messages.DeleteAsync(message.Channel, [message.Id], cancellationToken);
        await files.ReleaseAsync(message.Attachments ?? [], cancellationToken);
        await events.PublishAsync(message.Channel, new MessageDeleteEvent(message.Id, message.Channel));
    }

    /// <summary>Deletes 1–100 of the channel's messages, each younger than a week; any other id refuses the whole request.</summary>
    public async Task BulkDeleteAsync(User actor, string channelId, BulkDeleteRequest request, CancellationToken cancellationToken)
    {
        (await access.InChannelAsync(actor, channelId, cancellationToken)).Require(ChannelPermission.ManageMessages);
        var ids = (request.Ids ?? []).Distinct().ToList();
        if (ids.Count is < 1 or > 100) throw StoatException.FailedValidation("ids must hold 1–100 message ids");
        foreach (var id in ids) MessageRules.RequireId(id, "ids");
        if (ids.Any(id => access.Now - Ulid.Parse(id).Time > MessageRules.BulkDeleteMaxAge))
            throw StoatException.FailedValidation("messages older than 7 days cannot be bulk deleted");
        var found = await messages.GetManyAsync(channelId, ids, cancellationToken);
        if (found.Count != ids.Count) throw StoatException.UnknownMessage();
        await messages.DeleteAsync(channelId, ids, cancellationToken);
        await files.ReleaseAsync(found.SelectMany(m => m.Attachments ?? []), cancellationToken);
        await events.PublishAsync(channelId, new BulkMessageDeleteEvent(channelId, ids));
    }

    public async Task PinAsync(User actor, string channelId, string messageId, bool pinned, CancellationToken cancellationToken)
    {
        var at = (await access.InChannelAsync(actor, channelId, cancellationToken)).Require(ChannelPermission.ManageMessages);
        var message = await MessageAsync(channelId, messageId, cancellationToken);
        if (message.Pinned == pinned) throw pinned ? StoatException.AlreadyPinned() : StoatException.NotPinned();
        if (!await messages.UpdateAsync(channelId, message.Id, pinned ? new FieldUpdate().Set("pinned", true) : new FieldUpdate().Unset("pinned"), cancellationToken))
            throw StoatException.UnknownMessage();
        await events.PublishAsync(channelId, pinned
            ? new MessageUpdateEvent(message.Id, channelId, new Dictionary<string, object?> { ["pinned"] = true }, [])
            : new MessageUpdateEvent(message.Id, channelId, new Dictionary<string, object?>(), ["Pinned"]));
        await poster.PostSystemAsync(at.Channel, pinned ? new MessagePinned(message.Id, actor.Id) : new MessageUnpinned(message.Id, actor.Id), cancellationToken);
    }

    public async Task ReactAsync(User actor, string channelId, string messageId, string emoji, CancellationToken cancellationToken)
    {
        (await access.InChannelAsync(actor, channelId, cancellationToken)).Require(ChannelPermission.React);
        var message = await MessageAsync(channelId, messageId, cancellationToken);
        var reactions = message.Reactions ?? new Dictionary<string, IReadOnlyList<string>>();
        if (!await IsUsableEmojiAsync(emoji, cancellationToken)) throw StoatException.InvalidOperation();
        if (message.Interactions is { RestrictReactions: true } restricted && restricted.Reactions?.Contains(emoji) != true) throw StoatException.InvalidOperation();
        if (!reactions.ContainsKey(emoji) && reactions.Count >= Global.MessageReactions) throw StoatException.InvalidOperation();
        if (reactions.GetValueOrDefault(emoji)?.Contains(actor.Id) == true) return;
        if (await messages.ChangeReactionsAsync(channelId, messageId, new ReactionChange.Add(emoji, actor.Id), cancellationToken) is null)
            throw StoatException.UnknownMessage();
        await events.PublishAsync(channelId, new MessageReactEvent(messageId, channelId, actor.Id, emoji));
    }

    /// <summary>
    /// Takes back the actor's reaction, another user's (<paramref name="userId"/>), or everyone's (<paramref name="removeAll"/>).
    /// As in Stoat, the permissions come before the message is looked up, so one who cannot see the channel learns
    /// nothing of its ids.
    /// </summary>
    public async Task UnreactAsync(User actor, string channelId, string messageId, string emoji, string? userId, bool removeAll, CancellationToken cancellationToken)
    {
        var at = (await access.InChannelAsync(actor, channelId, cancellationToken)).Require(ChannelPermission.React);
        if (removeAll || userId is not null && userId != actor.Id) at.Require(ChannelPermission.ManageMessages);
        var message = await MessageAsync(channelId, messageId, cancellationToken);
        if (removeAll)
        {
            await messages.ChangeReactionsAsync(channelId, message.Id, new ReactionChange.RemoveEmoji(emoji), cancellationToken);
            await events.PublishAsync(channelId, new MessageRemoveReactionEvent(message.Id, channelId, emoji));
            return;
        }
        var user = userId ?? actor.Id;
        if (message.Reactions?.GetValueOrDefault(emoji)?.Contains(user) != true) return;
        await messages.ChangeReactionsAsync(channelId, message.Id, new ReactionChange.Remove(emoji, user), cancellationToken);
        await events.PublishAsync(channelId, new MessageUnreactEvent(message.Id, channelId, user, emoji));
    }

    public async Task ClearReactionsAsync(User actor, string channelId, string messageId, CancellationToken cancellationToken)
    {
        (await access.InChannelAsync(actor, channelId, cancellationToken)).Require(ChannelPermission.ManageMessages);
        var message = await MessageAsync(channelId, messageId, cancellationToken);
        await messages.ChangeReactionsAsync(channelId, message.Id, new ReactionChange.Clear(), cancellationToken);
        await events.PublishAsync(channelId, new MessageUpdateEvent(message.Id, channelId,
            new Dictionary<string, object?> { ["reactions"] = new Dictionary<string, string[]>() }, []));
    }

    private async Task<ChannelAccess> ReadAccessAsync(User actor, string channelId, CancellationToken cancellationToken) =>
        (await access.InChannelAsync(actor, channelId, cancellationToken)).Require(ReadHistory);

    private async Task<Message> MessageAsync(string channelId, string messageId, CancellationToken cancellationToken) =>
        await messages.GetAsync(channelId, messageId, cancellationToken) ?? throw StoatException.UnknownMessage();

    private static int PageSize(long? limit) => limit is null ? MessageRules.DefaultQueryLimit
        : limit is >= 1 and <= MessageRules.MaxQueryLimit ? (int)limit
        : throw StoatException.FailedValidation($"limit must be 1–{MessageRules.MaxQueryLimit}");

    private static void OptionalId(string? value, string field)
    {
        if (value is not null) MessageRules.RequireId(value, field);
    }

    /// <summary>A Unicode emoji, or a custom emoji that exists (detached ones included, as in Stoat).</summary>
    private async Task<bool> IsUsableEmojiAsync(string emoji, CancellationToken cancellationToken) =>
        MessageRules.IsUnicodeEmoji(emoji) || MessageRules.IsId(emoji) && await emojis.GetAsync(emoji, cancellationToken) is not null;

    private async Task<MessagesWithUsers> WithUsersAsync(User actor, ChannelAccess at, IReadOnlyList<Message> page, CancellationToken cancellationToken)
    {
        var authors = page.Where(m => m.Webhook is null && m.Author != MessageRules.SystemAuthor).Select(m => m.Author).Distinct().ToList();
        var users = await access.SeenByAsync(actor, authors, cancellationToken);
        if (at.Server is not { } server) return new MessagesWithUsers(page, users, null);
        return new MessagesWithUsers(page, users, await members.GetManyAsync(server.Id, authors, cancellationToken));
    }

    /// <summary>What Redis answered to a send's checks.</summary>
    private abstract record SendClaim
    {
        public sealed record Granted : SendClaim;

        public sealed record Duplicate : SendClaim;

        public sealed record Wait(TimeSpan Left) : SendClaim;
    }

    // One round trip for both of a send's checks, atomically: claim the idempotency key, then start the sender's
    // slowmode wait; a send that must wait gives its key back, so the client may retry with it. KEYS: the key, then the
    // wait, each only when checked. ARGV: how long each is kept (ms), 0 for one not checked. Returns -1 for a repeated
    // key, 0 to send, else how long the wait has left (ms).
    private const string SendClaimScript = """
        local idempotency, slowmode = nil, nil
        local i = 1
        if tonumber(ARGV[1]) > 0 then idempotency = KEYS[i]; i = i + 1 end
        if tonumber(ARGV[2]) > 0 then slowmode = KEYS[i] end
        if idempotency and not redis.call('SET', idempotency, 1, 'PX', ARGV[1], 'NX') then return -1 end
        if slowmode and not redis.call('SET', slowmode, 1, 'PX', ARGV[2], 'NX') then
          if idempotency then redis.call('DEL', idempotency) end
          local left = redis.call('PTTL', slowmode)
          if left > 0 then return left end
          return tonumber(ARGV[2])
        end
        return 0
        """;

    /// <summary>
    /// Claims <paramref name="key"/> (if given) for the sender for <see cref="IdempotencyWindow"/> and starts their wait in a
    /// slow channel (if <paramref name="slowmode"/>), shared by every Api replica through Redis, in one call.
    /// </summary>
    private async Task<SendClaim> ClaimSendAsync(string senderId, string? key, string channelId, TimeSpan? slowmode)
    {
        if (key is null && slowmode is null) return new SendClaim.Granted();
        var keys = new List<RedisKey>(2);
        if (key is not null) keys.Add(IdempotencyKey(senderId, key));
        if (slowmode is not null) keys.Add(SlowmodeKey(senderId, channelId));
        try
        {
            var answer = (long)await redis.GetDatabase().ScriptEvaluateAsync(SendClaimScript, [.. keys],
                [key is null ? 0 : (long)IdempotencyWindow.TotalMilliseconds, (long)(slowmode?.TotalMilliseconds ?? 0)]);
            return answer switch
            {
                -1 => new SendClaim.Duplicate(),
                0 => new SendClaim.Granted(),
                _ => new SendClaim.Wait(TimeSpan.FromMilliseconds(answer)),
            };
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            // Without Redis a repeat cannot be recognised nor a wait kept; sending must still work.
            logger.LogWarning(e, "Idempotency key and slowmode not checked: Redis did not answer");
            return new SendClaim.Granted();
        }
    }

    private async Task ReleaseIdempotencyKeyAsync(string userId, string key)
    {
        try
        {
            await redis.GetDatabase().KeyDeleteAsync(IdempotencyKey(userId, key));
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            logger.LogWarning(e, "Idempotency key not released: Redis did not answer");
        }
    }

    // Both of a sender's keys carry the sender as their hash tag, so that one script may touch them on a Redis cluster.
    private static RedisKey IdempotencyKey(string userId, string key) => $"idempotency:{{{userId}}}:{key}";

    private static RedisKey SlowmodeKey(string userId, string channelId) => $"slowmode:{{{userId}}}:{channelId}";
}
