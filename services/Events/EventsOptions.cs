namespace Spokes.Events;

/// <summary>Limits of one Events node (section <c>Events</c>); the defaults suit Stoat's clients.</summary>
public sealed class EventsOptions
{
    public const string SectionName = "Events";

    /// <summary>Names this node in presence records; a random id by default, as every start is a new node.</summary>
    public string NodeId { get; set; } = Guid.NewGuid().ToString("N")[..12];

    /// <summary>The largest frame a client may send; client messages are small (a token, a channel id).</summary>
    public int MaxClientFrameBytes { get; set; } = 8 * 1024;

    /// <summary>Events waiting for one socket; a client this far behind is disconnected, never waited for.</summary>
    public int SendQueueLimit { get; set; } = 2048;

    /// <summary>How long a new socket may take to authenticate.</summary>
    public TimeSpan AuthenticateTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>A socket that sends nothing (stoat.js pings every 30 s) for this long is closed.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(90);

    /// <summary>WebSocket-level pings, which find dead peers even when a client never pings.</summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Client messages allowed per <see cref="ClientMessageWindow"/>; more is a flood and closes the socket.</summary>
    public int ClientMessageLimit { get; set; } = 60;

    public TimeSpan ClientMessageWindow { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Stoat's <c>Subscribe</c> LRU: at most this many servers' member updates at once…</summary>
    public int MaxServerSubscriptions { get; set; } = 5;

    /// <summary>…each for this long after the last Subscribe.</summary>
    public TimeSpan ServerSubscriptionExpiry { get; set; } = TimeSpan.FromMinutes(15);
}
