using System.Collections.Concurrent;
using Spokes.Events.Connections;

namespace Spokes.Events.Fanout;

/// <summary>
/// This node's map of topic → sockets. One Redis subscription feeds it (<see cref="RedisFirehose"/>); each event
/// is looked up once and handed to the sockets subscribed to its topic, so nothing here grows with Redis
/// connections as Stoat's per-socket subscribers do. Readers take a snapshot array without locking.
/// </summary>
public sealed class TopicHub
{
    private readonly ConcurrentDictionary<string, Subscribers> _topics = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<ClientConnection, byte> _connections = new();
    private readonly ConcurrentDictionary<string, string> _channelServers = new(StringComparer.Ordinal);

    public IEnumerable<ClientConnection> Connections => _connections.Keys;

    public void Register(ClientConnection connection) => _connections.TryAdd(connection, 0);

    /// <summary>Takes the connection out of every topic it had.</summary>
    public void Unregister(ClientConnection connection, IEnumerable<string> topics)
    {
        _connections.TryRemove(connection, out _);
        foreach (var topic in topics) Unsubscribe(connection, topic);
    }

    public void Apply(ClientConnection connection, TopicChange change)
    {
        foreach (var topic in change.Added) Subscribe(connection, topic);
        foreach (var topic in change.Removed) Unsubscribe(connection, topic);
    }

    public ClientConnection[] SubscribersOf(string topic) =>
        _topics.TryGetValue(topic, out var subscribers) ? subscribers.Members : [];

    /// <summary>Which server a channel belongs to, for channel changes that can hide or reveal it.</summary>
    public void RememberChannels(string serverId, IEnumerable<string> channelIds)
    {
        foreach (var channel in channelIds) _channelServers[channel] = serverId;
    }

    public void ForgetChannel(string channelId) => _channelServers.TryRemove(channelId, out _);

    public string? ServerOfChannel(string channelId) => _channelServers.GetValueOrDefault(channelId);

    private void Subscribe(ClientConnection connection, string topic)
    {
        while (true)
        {
            var subscribers = _topics.GetOrAdd(topic, _ => new Subscribers());
            lock (subscribers)
            {
                // Emptied and removed by an unsubscribe in between: take the topic's new entry.
                if (subscribers.Removed) continue;
                if (Array.IndexOf(subscribers.Members, connection) < 0) subscribers.Members = [.. subscribers.Members, connection];
                return;
            }
        }
    }

    private void Unsubscribe(ClientConnection connection, string topic)
    {
        if (!_topics.TryGetValue(topic, out var subscribers)) return;
        lock (subscribers)
        {
            var index = Array.IndexOf(subscribers.Members, connection);
            if (index < 0) return;
            if (subscribers.Members.Length == 1)
            {
                subscribers.Members = [];
                subscribers.Removed = true;
                _topics.TryRemove(new KeyValuePair<string, Subscribers>(topic, subscribers));
                return;
            }
            var members = new ClientConnection[subscribers.Members.Length - 1];
            Array.Copy(subscribers.Members, 0, members, 0, index);
            Array.Copy(subscribers.Members, index + 1, members, index, members.Length - index);
            subscribers.Members = members;
        }
    }

    /// <summary>Copy-on-write, so a dispatch reads <see cref="Members"/> without a lock while sockets come and go.</summary>
    private sealed class Subscribers
    {
        public volatile ClientConnection[] Members = [];

        public bool Removed;
    }
}
