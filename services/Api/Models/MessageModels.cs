using System.Text.Json.Serialization;
using Spokes.Api.Storage;

namespace Spokes.Api.Models;

public sealed record ReplyIntent(string? Id, bool Mention, bool? FailIfNotExists);

public sealed record SendableEmbed(string? IconUrl, string? Url, string? Title, string? Description, string? Media, string? Colour);

/// <summary>Stoat's <c>DataMessageSend</c>.</summary>
public sealed record SendMessageRequest(
    string? Nonce,
    string? Content,
    List<string>? Attachments,
    List<ReplyIntent>? Replies,
    List<SendableEmbed>? Embeds,
    Masquerade? Masquerade,
    Interactions? Interactions,
    int? Flags);

public sealed record EditMessageRequest(string? Content, List<SendableEmbed>? Embeds);

public sealed record BulkDeleteRequest(List<string>? Ids);

/// <summary>Stoat's <c>DataMessageSearch</c>.</summary>
public sealed record SearchMessagesRequest(
    string? Query,
    bool? Pinned,
    long? Limit,
    string? Before,
    string? After,
    [property: JsonConverter(typeof(JsonStringEnumConverter<MessageSort>))] MessageSort? Sort,
    bool? IncludeUsers);

/// <summary>Stoat's <c>BulkMessageResponse</c> with users: the messages, their authors as the viewer sees them, and their members.</summary>
public sealed record MessagesWithUsers(IReadOnlyList<Message> Messages, IReadOnlyList<UserResponse> Users, IReadOnlyList<Member>? Members);

public sealed record FetchSettingsRequest(List<string>? Keys);

public sealed record CreateEmojiRequest(string? Name, EmojiParent? Parent, bool? Nsfw);

public sealed record EditEmojiRequest(string? Name);

public sealed record ReportRequest(ReportedContent? Content, string? AdditionalContext);
