using System.Text.Json.Serialization;

namespace Spokes.Api.Storage;

// Messages keep Stoat's shape in the database and on the wire, like the other community objects.

/// <summary>Stoat's <c>MessageFlags</c>.</summary>
[Flags]
public enum MessageFlags
{
    None = 0,
    SuppressNotifications = 1,
    MentionsEveryone = 2,
    MentionsOnline = 4,
}

/// <summary>Stoat's <c>Message</c> as stored; the author's user and member are added when it is sent out.</summary>
public sealed record Message(
    [property: JsonPropertyName("_id")] string Id,
    string Channel,
    string Author,
    string? Nonce = null,
    MessageWebhook? Webhook = null,
    string? Content = null,
    SystemMessage? System = null,
    IReadOnlyList<AutumnFile>? Attachments = null,
    IReadOnlyList<MessageEmbed>? Embeds = null,
    IReadOnlyList<string>? Mentions = null,
    IReadOnlyList<string>? RoleMentions = null,
    IReadOnlyList<string>? Replies = null,
    IReadOnlyDictionary<string, IReadOnlyList<string>>? Reactions = null,
    Interactions? Interactions = null,
    Masquerade? Masquerade = null,
    DateTimeOffset? Edited = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] bool Pinned = false,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] int Flags = 0,
    string? Search = null)
{
    // Search: stored only, the blind index of the content's words (Encryption/BlindIndex.cs) that the store's
    // full-text index reads; messages read back from the store and sent out never carry it.

    /// <summary>When it was sent, which its ULID id records.</summary>
    [JsonIgnore] public DateTimeOffset SentAt => Ulid.Parse(Id).Time;

    [JsonIgnore] public MessageFlags MessageFlags => (MessageFlags)Flags;
}

public sealed record MessageWebhook(string Name, string? Avatar);

public sealed record Masquerade(string? Name, string? Avatar, string? Colour);

public sealed record Interactions(
    IReadOnlyList<string>? Reactions,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] bool RestrictReactions);

/// <summary>A custom embed as sent out: Stoat's <c>Text</c> embed.</summary>
public sealed record TextEmbed(string? IconUrl, string? Url, string? Title, string? Description, string? Colour) : MessageEmbed
{
    [JsonPropertyOrder(-1)] public string Type => "Text";
}

/// <summary>Stoat's <c>SystemMessage</c>: what happened, in a message of its own.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(TextSystemMessage), "text")]
[JsonDerivedType(typeof(UserAdded), "user_added")]
[JsonDerivedType(typeof(UserRemoved), "user_remove")]
[JsonDerivedType(typeof(UserJoined), "user_joined")]
[JsonDerivedType(typeof(UserLeft), "user_left")]
[JsonDerivedType(typeof(UserKicked), "user_kicked")]
[JsonDerivedType(typeof(UserBanned), "user_banned")]
[JsonDerivedType(typeof(ChannelRenamed), "channel_renamed")]
[JsonDerivedType(typeof(ChannelDescriptionChanged), "channel_description_changed")]
[JsonDerivedType(typeof(ChannelIconChanged), "channel_icon_changed")]
[JsonDerivedType(typeof(ChannelOwnershipChanged), "channel_ownership_changed")]
[JsonDerivedType(typeof(MessagePinned), "message_pinned")]
[JsonDerivedType(typeof(MessageUnpinned), "message_unpinned")]
[JsonDerivedType(typeof(CallStarted), "call_started")]
public abstract record SystemMessage;

public sealed record TextSystemMessage(string Content) : SystemMessage;
public sealed record UserAdded(string Id, string By) : SystemMessage;
public sealed record UserRemoved(string Id, string By) : SystemMessage;
public sealed record UserJoined(string Id) : SystemMessage;
public sealed record UserLeft(string Id) : SystemMessage;
public sealed record UserKicked(string Id) : SystemMessage;
public sealed record UserBanned(string Id) : SystemMessage;
public sealed record ChannelRenamed(string Name, string By) : SystemMessage;
public sealed record ChannelDescriptionChanged(string By) : SystemMessage;
public sealed record ChannelIconChanged(string By) : SystemMessage;
public sealed record ChannelOwnershipChanged(string From, string To) : SystemMessage;
public sealed record MessagePinned(string Id, string By) : SystemMessage;
public sealed record MessageUnpinned(string Id, string By) : SystemMessage;
public sealed record CallStarted(string By, DateTimeOffset? FinishedAt) : SystemMessage;

/// <summary>Which way a page of messages runs. Relevance needs a search query.</summary>
public enum MessageSort { Latest, Oldest, Relevance }

/// <summary>One page of a channel's messages: the bounds are exclusive ids; <see cref="Text"/> searches content; <see cref="Limit"/> is at least 1 (MongoDB reads 0 as no limit).</summary>
public sealed record MessageQuery(
    string Channel,
    int Limit,
    MessageSort Sort = MessageSort.Latest,
    string? Before = null,
    string? After = null,
    string? Text = null,
    bool? Pinned = null);

/// <summary>A user's synced client setting (Stoat's <c>UserSettings</c> entry): when it was written, and its value.</summary>
public sealed record SyncedSetting(long Timestamp, string Value);

/// <summary>
/// An integration event waiting to be published: written together with the change it reports, removed once
/// RabbitMQ has confirmed it (a transactional outbox), so a broker restart between the two loses nothing.
/// </summary>
public sealed record OutboxEntry(Guid Id, string MessageType, string Body, DateTimeOffset CreatedAt);

/// <summary>Stoat's <c>Bot</c>: a user account owned by another user, acting with <see cref="Token"/> (<c>X-Bot-Token</c>).</summary>
public sealed record Bot(
    [property: JsonPropertyName("_id")] string Id,
    string Owner,
    string Token,
    bool Public,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] bool Analytics = false,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] bool Discoverable = false,
    string? InteractionsUrl = null,
    string? TermsOfServiceUrl = null,
    string? PrivacyPolicyUrl = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] int Flags = 0);

/// <summary>Stoat's <c>Webhook</c>: posts into one channel with its secret token, under its own name.</summary>
public sealed record Webhook(string Id, string Name, AutumnFile? Avatar, string CreatorId, string ChannelId, ulong Permissions, string Token);

/// <summary>What owns a custom emoji: a server, or nobody once its server is gone (Stoat's <c>EmojiParent</c>).</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(ServerEmojiParent), "Server")]
[JsonDerivedType(typeof(DetachedEmojiParent), "Detached")]
public abstract record EmojiParent;

public sealed record ServerEmojiParent(string Id) : EmojiParent;

public sealed record DetachedEmojiParent : EmojiParent;

/// <summary>Stoat's <c>Emoji</c>: its id is the Autumn file id of its image.</summary>
public sealed record Emoji(
    [property: JsonPropertyName("_id")] string Id,
    EmojiParent Parent,
    string CreatorId,
    string Name,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] bool Animated = false,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] bool Nsfw = false);

/// <summary>Stoat's <c>ReportedContent</c>: a message, server or user, with the reason given.</summary>
public sealed record ReportedContent(string Type, string Id, string ReportReason, string? MessageId);

public sealed record ReportStatus(string Status);

/// <summary>Stoat's <c>Report</c>, as moderators receive it.</summary>
public sealed record Report(
    [property: JsonPropertyName("_id")] string Id,
    string AuthorId,
    ReportedContent Content,
    string AdditionalContext,
    ReportStatus Status,
    string Notes);
