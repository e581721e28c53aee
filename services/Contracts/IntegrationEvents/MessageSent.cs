namespace Spokes.Contracts.IntegrationEvents;

/// <summary>Where a message was sent, which decides who is notified of it.</summary>
public enum ConversationKind { SavedMessages, DirectMessage, Group, Server }

/// <summary>
/// A message was stored. Carries what Pushd needs to notify people without reading the Api's database:
/// who to notify (<see cref="Recipients"/>: the other members of a DM or group, the users a server message
/// mentions or replies to), and the mass mentions it must resolve itself.
/// </summary>
public sealed record MessageSent : IntegrationEvent
{
    public required string MessageId { get; init; }

    public required string ChannelId { get; init; }

    public string? ServerId { get; init; }

    public required ConversationKind Kind { get; init; }

    public required string AuthorId { get; init; }

    /// <summary>The name to show: a masquerade's, a webhook's, or the author's display name or username.</summary>
    public required string AuthorName { get; init; }

    public string? Content { get; init; }

    public IReadOnlyList<string> Recipients { get; init; } = [];

    public IReadOnlyList<string> Mentions { get; init; } = [];

    public IReadOnlyList<string> RoleMentions { get; init; } = [];

    public bool MentionsEveryone { get; init; }

    public bool MentionsOnline { get; init; }

    /// <summary>The author asked that nobody be notified (Stoat's <c>SuppressNotifications</c> flag).</summary>
    public bool SuppressNotifications { get; init; }
}

/// <summary>A message with links was stored or edited: January fetches their metadata and appends embeds to it.</summary>
public sealed record MessageLinksPosted : IntegrationEvent
{
    public required string MessageId { get; init; }

    public required string ChannelId { get; init; }

    public required IReadOnlyList<string> Urls { get; init; }
}
