namespace Spokes.Contracts.IntegrationEvents;

/// <summary>
/// A user received a friend request (Stoat's
/// <c>fr_received</c>); Pushd tells their devices.
/// </summary>
public sealed record FriendRequestReceived : IntegrationEvent
{
    public required string UserId { get; init; }

    public required string FromUserId { get; init; }

    /// <summary>The sender's display name, or <c>username#discriminator</c> as Stoat shows it.</summary>
    public required string FromName { get; init; }
}

/// <summary>A user's friend request was accepted (Stoat's <c>fr_accepted</c>).</summary>
public sealed record FriendRequestAccepted : IntegrationEvent
{
    public required string UserId { get; init; }

    public required string AcceptedById { get; init; }

    public required string AcceptedByName { get; init; }
}

/// <summary>A notification with a given title and body for one user's devices (Stoat's <c>generic</c> queue).</summary>
public sealed record NotificationRequested : IntegrationEvent
{
    public required string UserId { get; init; }

    public required string Title { get; init; }

    public required string Body { get; init; }

    public string? Icon { get; init; }
}
