namespace Spokes.Events.Connections;

/// <summary>Topics a change adds to and removes from one connection.</summary>
public readonly record struct TopicChange(IReadOnlyList<string> Added, IReadOnlyList<string> Removed)
{
    public static readonly TopicChange None = new([], []);

    public bool IsEmpty => Added.Count == 0 && Removed.Count == 0;
}

/// <summary>
/// What one connection receives, in Stoat's topics: its private topic <c>{user}!</c>, every user it knows,
/// every server it is in, every channel it may view, <c>{server}u</c> (member updates) for servers it asked
/// for with <c>Subscribe</c> (a bounded LRU with expiry, as Stoat keeps it) or always for bots.
/// Not thread-safe: its connection serialises the calls.
/// </summary>
public sealed class SubscriptionState(string userId, bool isBot)
{
    /// <summary>Safety reports reach only privileged users (instance moderators).</summary>
    public const string ModerationTopic = "moderation";

    private readonly HashSet<string> _topics = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _serverChannels = new(StringComparer.Ordinal);
    private readonly List<(string Server, DateTimeOffset Expires)> _memberSubscriptions = [];

    public string UserId { get; } = userId;

    public bool IsBot { get; } = isBot;

    public IReadOnlyCollection<string> Topics => _topics;

    public IEnumerable<string> Servers => _serverChannels.Keys;

    public static string PrivateTopic(string userId) => userId + "!";

    public static string MembersTopic(string serverId) => serverId + "u";

    public bool Has(string topic) => _topics.Contains(topic);

    public bool InServer(string serverId) => _serverChannels.ContainsKey(serverId);

    public IReadOnlySet<string> ChannelsOf(string serverId) =>
        _serverChannels.TryGetValue(serverId, out var channels) ? channels : new HashSet<string>();

    /// <summary>The topics of a new connection, from its Ready.</summary>
    public TopicChange Start(IEnumerable<string> userIds, IReadOnlyDictionary<string, IReadOnlyCollection<string>> serverChannels,
        IEnumerable<string> privateChannelIds, bool isPrivileged)
    {
        var added = new List<string>();
        Add(PrivateTopic(UserId), added);
        Add(UserId, added);
        foreach (var id in userIds) Add(id, added);
        foreach (var id in privateChannelIds) Add(id, added);
        foreach (var (server, channels) in serverChannels) added.AddRange(JoinServer(server, channels).Added);
        if (isPrivileged) Add(ModerationTopic, added);
        return new(added, []);
    }

    /// <summary>A server joined; for one already joined (its ServerCreate again), its channels are brought up to date.</summary>
    public TopicChange JoinServer(string serverId, IEnumerable<string> visibleChannelIds)
    {
        var added = new List<string>();
        _serverChannels.TryAdd(serverId, new HashSet<string>(StringComparer.Ordinal));
        Add(serverId, added);
        if (IsBot) Add(MembersTopic(serverId), added);
        var channels = ShowChannels(serverId, visibleChannelIds);
        return new([.. added, .. channels.Added], channels.Removed);
    }

    public TopicChange LeaveServer(string serverId)
    {
        if (!_serverChannels.Remove(serverId, out var channels)) return TopicChange.None;
        var removed = new List<string>();
        Remove(serverId, removed);
        Remove(MembersTopic(serverId), removed);
        _memberSubscriptions.RemoveAll(s => s.Server == serverId);
        foreach (var channel in channels) Remove(channel, removed);
        return new([], removed);
    }

    /// <summary>Brings a server's channels to <paramref name="visibleChannelIds"/>; the change says which appeared and which went.</summary>
    public TopicChange ShowChannels(string serverId, IEnumerable<string> visibleChannelIds)
    {
        if (!_serverChannels.TryGetValue(serverId, out var current)) return TopicChange.None;
        var visible = visibleChannelIds.ToHashSet(StringComparer.Ordinal);
        var added = new List<string>();
        var removed = new List<string>();
        foreach (var channel in visible.Where(c => !current.Contains(c)).ToList())
        {
            current.Add(channel);
            Add(channel, added);
        }
        foreach (var channel in current.Where(c => !visible.Contains(c)).ToList())
        {
            current.Remove(channel);
            Remove(channel, removed);
        }
        return new(added, removed);
    }

    /// <summary>A DM, group or saved-messages channel, or a user the connection now knows.</summary>
    public TopicChange Add(string topic)
    {
        var added = new List<string>();
        Add(topic, added);
        return new(added, []);
    }

    /// <summary>A channel that was deleted or left.</summary>
    public TopicChange RemoveChannel(string channelId)
    {
        var removed = new List<string>();
        foreach (var channels in _serverChannels.Values) channels.Remove(channelId);
        Remove(channelId, removed);
        return new([], removed);
    }

    /// <summary>
    /// Stoat's <c>Subscribe</c>: member updates of a server the user is in, for <paramref name="expiry"/>. The
    /// least recently asked-for server makes room when <paramref name="limit"/> are held. Bots always have them.
    /// </summary>
    public TopicChange SubscribeMembers(string serverId, DateTimeOffset now, int limit, TimeSpan expiry)
    {
        if (IsBot || !_serverChannels.ContainsKey(serverId)) return TopicChange.None;
        var removed = new List<string>();
        var added = new List<string>();
        _memberSubscriptions.RemoveAll(s => s.Server == serverId);
        while (_memberSubscriptions.Count >= limit)
        {
            Remove(MembersTopic(_memberSubscriptions[0].Server), removed);
            _memberSubscriptions.RemoveAt(0);
        }
        _memberSubscriptions.Add((serverId, now + expiry));
        Add(MembersTopic(serverId), added);
        return new(added, removed);
    }

    public TopicChange ExpireMemberSubscriptions(DateTimeOffset now)
    {
        if (_memberSubscriptions.Count == 0) return TopicChange.None;
        var removed = new List<string>();
        foreach (var (server, _) in _memberSubscriptions.Where(s => s.Expires <= now)) Remove(MembersTopic(server), removed);
        _memberSubscriptions.RemoveAll(s => s.Expires <= now);
        return new([], removed);
    }

    private void Add(string topic, List<string> added)
    {
        if (_topics.Add(topic)) added.Add(topic);
    }

    private void Remove(string topic, List<string> removed)
    {
        if (_topics.Remove(topic)) removed.Add(topic);
    }
}
