using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Spokes.Events.Fanout;
using Spokes.Events.Protocol;

namespace Spokes.Events.Connections;

/// <summary>What every connection of a node shares.</summary>
public sealed record ConnectionContext(TopicHub Hub, EventsOptions Options, RedisEvents Redis, TimeProvider Clock, ILogger Logger);

/// <summary>
/// One authenticated socket: a bounded queue of what it is owed, one loop sending it in order and one reading
/// the client's messages. A client that falls <see cref="EventsOptions.SendQueueLimit"/> events behind is
/// disconnected; nobody waits for it.
/// </summary>
public sealed class ClientConnection
{
    private const int ReceiveBufferBytes = 256;
    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(2);

    private readonly WebSocket _socket;
    private readonly ConnectionContext _context;
    private readonly SubscriptionState _state;
    private readonly Channel<object> _outbox;
    private readonly RecentEventIds _recentUserUpdates = new();
    private long _lastReceivedTicks;
    private long _windowStartTicks;
    private int _windowMessages;
    private volatile bool _overflowed;
    private volatile Tuple<WebSocketCloseStatus, string>? _closeAfterSend;

    public ClientConnection(WebSocket socket, WireFormat format, string userId, string? sessionId, bool isBot, ConnectionContext context)
    {
        _socket = socket;
        _context = context;
        Format = format;
        SessionId = sessionId;
        _state = new SubscriptionState(userId, isBot);
        _outbox = Channel.CreateBounded<object>(new BoundedChannelOptions(context.Options.SendQueueLimit)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _lastReceivedTicks = _windowStartTicks = context.Clock.GetTimestamp();
    }

    public string UserId => _state.UserId;

    public string? SessionId { get; }

    public WireFormat Format { get; }

    /// <summary>Servers the user is in now (presence is announced to their member topics).</summary>
    public IReadOnlyList<string> Servers
    {
        get { lock (_state) return _state.Servers.ToList(); }
    }

    public TimeSpan SinceLastReceived => _context.Clock.GetElapsedTime(Interlocked.Read(ref _lastReceivedTicks));

    /// <summary>Subscribes the connection to what its Ready listed.</summary>
    public void Start(IEnumerable<string> userIds, IReadOnlyDictionary<string, IReadOnlyCollection<string>> serverChannels,
        IEnumerable<string> privateChannelIds, bool isPrivileged)
    {
        lock (_state) _context.Hub.Apply(this, _state.Start(userIds, serverChannels, privateChannelIds, isPrivileged));
    }

    /// <summary>Queues an event (a <see cref="ServerFrame"/> or a <see cref="StatefulEvent"/>); never blocks the caller.</summary>
    public void Deliver(object item)
    {
        // After a close was asked for, the queue takes nothing more; that is not falling behind.
        if (_overflowed || _outbox.Writer.TryWrite(item) || _closeAfterSend is not null) return;
        _overflowed = true;
        _outbox.Writer.TryComplete();
        _context.Logger.LogInformation("A socket of {User} fell {Limit} events behind and is disconnected", UserId, _context.Options.SendQueueLimit);
    }

    /// <summary>Ends the connection after what is queued has been sent.</summary>
    public void Close(WebSocketCloseStatus status, string reason)
    {
        Interlocked.CompareExchange(ref _closeAfterSend, Tuple.Create(status, reason), null);
        _outbox.Writer.TryComplete();
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var sending = SendLoopAsync();
        await ReceiveLoopAsync(cancellationToken);
        _outbox.Writer.TryComplete();
        await sending;
    }

    public void Unregister()
    {
        lock (_state) _context.Hub.Unregister(this, _state.Topics.ToList());
    }

    public void ExpireMemberSubscriptions()
    {
        lock (_state) _context.Hub.Apply(this, _state.ExpireMemberSubscriptions(_context.Clock.GetUtcNow()));
    }

    private async Task SendLoopAsync()
    {
        var type = ServerFrame.MessageType(Format);
        try
        {
            while (await _outbox.Reader.WaitToReadAsync())
            {
                while (!_overflowed && _outbox.Reader.TryRead(out var item))
                {
                    var frames = item switch
                    {
                        ServerFrame frame => [frame],
                        StatefulEvent stateful => await ApplyAsync(stateful),
                        _ => throw new InvalidOperationException($"Unexpected {item.GetType().Name} in the send queue."),
                    };
                    foreach (var frame in frames) await _socket.SendAsync(frame.Payload(Format), type, endOfMessage: true, CancellationToken.None);
                }
                if (_overflowed) break;
            }
        }
        catch (Exception e) when (e is WebSocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The peer went away; the receive loop ends the connection.
        }
        await CloseAsync(_overflowed
            ? (WebSocketCloseStatus.PolicyViolation, $"more than {_context.Options.SendQueueLimit} events behind")
            : _closeAfterSend is { } close ? (close.Item1, close.Item2) : (WebSocketCloseStatus.NormalClosure, "closing"));
    }

    private async Task CloseAsync((WebSocketCloseStatus Status, string Reason) close)
    {
        if (_socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived)) return;
        using var timeout = new CancellationTokenSource(CloseTimeout);
        try
        {
            await _socket.CloseOutputAsync(close.Status, close.Reason, timeout.Token);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // A client that does not read cannot be told politely.
            _socket.Abort();
        }
    }

    private async Task ReceiveLoopAsync(CancellationToken cancellationToken)
    {
        var buffer = new byte[ReceiveBufferBytes];
        try
        {
            while (_socket.State == WebSocketState.Open)
            {
                var frame = await FrameReader.ReadAsync(_socket, buffer, _context.Options.MaxClientFrameBytes, cancellationToken);
                Interlocked.Exchange(ref _lastReceivedTicks, _context.Clock.GetTimestamp());
                switch (frame.Outcome)
                {
                    case FrameOutcome.Closed:
                        return;
                    case FrameOutcome.TooLarge:
                        Close(WebSocketCloseStatus.MessageTooBig, $"frames are at most {_context.Options.MaxClientFrameBytes} bytes");
                        return;
                    case FrameOutcome.Message:
                        try
                        {
                            if (!WithinRate())
                            {
                                Deliver(ServerFrame.Error("RateLimited", ("limit", _context.Options.ClientMessageLimit),
                                    ("window_ms", (long)_context.Options.ClientMessageWindow.TotalMilliseconds)));
                                Close(WebSocketCloseStatus.PolicyViolation, "too many messages");
                                return;
                            }
                            await HandleAsync(frame);
                        }
                        finally
                        {
                            frame.Release();
                        }
                        break;
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The peer went away or the node is stopping.
        }
    }

    private bool WithinRate()
    {
        var now = _context.Clock.GetTimestamp();
        if (_context.Clock.GetElapsedTime(_windowStartTicks, now) >= _context.Options.ClientMessageWindow)
        {
            _windowStartTicks = now;
            _windowMessages = 0;
        }
        return ++_windowMessages <= _context.Options.ClientMessageLimit;
    }

    private async Task HandleAsync(ReceivedFrame frame)
    {
        if (frame.Type != ServerFrame.MessageType(Format))
        {
            Deliver(ServerFrame.Error("MalformedData", ("msg", Format == WireFormat.Json ? "expected a text frame of JSON" : "expected a binary frame of MessagePack")));
            return;
        }
        ClientMessage message;
        try
        {
            message = ClientMessages.Parse(frame.Data.Span, Format);
        }
        catch (MalformedMessageException e)
        {
            Deliver(ServerFrame.Error("MalformedData", ("msg", e.Reason)));
            return;
        }
        switch (message)
        {
            case PingMessage ping:
                Deliver(ServerFrame.Pong(ping.Data, Format));
                break;
            case AuthenticateMessage:
                Deliver(ServerFrame.Error("AlreadyAuthenticated"));
                break;
            case BeginTypingMessage typing when IsSubscribed(typing.Channel):
                await _context.Redis.PublishAsync(typing.Channel, new JsonObject { ["type"] = "ChannelStartTyping", ["id"] = typing.Channel, ["user"] = UserId });
                break;
            case EndTypingMessage typing when IsSubscribed(typing.Channel):
                await _context.Redis.PublishAsync(typing.Channel, new JsonObject { ["type"] = "ChannelStopTyping", ["id"] = typing.Channel, ["user"] = UserId });
                break;
            case SubscribeMessage subscribe:
                lock (_state)
                {
                    _context.Hub.Apply(this, _state.SubscribeMembers(subscribe.ServerId, _context.Clock.GetUtcNow(),
                        _context.Options.MaxServerSubscriptions, _context.Options.ServerSubscriptionExpiry));
                }
                break;
        }
    }

    private bool IsSubscribed(string topic)
    {
        lock (_state) return _state.Has(topic);
    }

    private async Task<IReadOnlyList<ServerFrame>> ApplyAsync(StatefulEvent e)
    {
        var root = e.Event;
        if (e.View is not null) return await ApplyViewAsync(e);
        switch (e.Type)
        {
            case "DeleteSession" when SessionId is not null && EventRouter.Text(root, "session_id") == SessionId:
            case "DeleteAllSessions" when SessionId is not null && EventRouter.Text(root, "exclude_session_id") != SessionId:
                Close(WebSocketCloseStatus.NormalClosure, "session revoked");
                return [ServerFrame.Logout];
            case "DeleteSession" or "DeleteAllSessions":
                return [];
            case "UserUpdate":
                return _recentUserUpdates.FirstSeen(EventRouter.Text(root, "event_id")) ? [e.Frame] : [];
            case "UserRelationship":
                if (root.TryGetProperty("user", out var user) && EventRouter.Text(user, "_id") is { } other) Change(s => s.Add(other));
                return [e.Frame];
            case "ChannelCreate" when EventRouter.Text(root, "_id") is { } created:
                // A DM, group or saved messages (server channels come with a view): its recipients become known users.
                Change(s => s.Add(created));
                if (root.TryGetProperty("recipients", out var recipients) && recipients.ValueKind == JsonValueKind.Array)
                {
                    foreach (var recipient in recipients.EnumerateArray().Select(r => r.GetString()).OfType<string>()) Change(s => s.Add(recipient));
                }
                return [e.Frame];
            case "ChannelDelete" when EventRouter.Text(root, "id") is { } deleted:
                Change(s => s.RemoveChannel(deleted));
                return [e.Frame];
            case "ChannelGroupJoin" when EventRouter.Text(root, "user") is { } joined && joined != UserId:
                Change(s => s.Add(joined));
                return [e.Frame];
            case "ChannelGroupLeave" when EventRouter.Text(root, "user") == UserId && EventRouter.Text(root, "id") is { } left:
                Change(s => s.RemoveChannel(left));
                return [e.Frame];
            case "ServerDelete" when EventRouter.Text(root, "id") is { } server:
                Change(s => s.LeaveServer(server));
                return [e.Frame];
            case "ServerMemberLeave" when EventRouter.Text(root, "user") == UserId && EventRouter.Text(root, "id") is { } server:
                Change(s => s.LeaveServer(server));
                return [e.Frame];
            default:
                return e.Forward ? [e.Frame] : [];
        }
    }

    /// <summary>Applies what the user now sees of a server: channels that appeared are created, those hidden deleted.</summary>
    private async Task<IReadOnlyList<ServerFrame>> ApplyViewAsync(StatefulEvent e)
    {
        var serverId = e.ServerId!;
        var reply = await e.View!;
        var mine = reply?.Members.FirstOrDefault(m => m.UserId == UserId);

        if (e.Type == "ServerCreate")
        {
            // Joined (or left again since): subscribe, and announce only the channels the user may view.
            if (mine is not { IsMember: true }) return [];
            var visible = mine.VisibleChannelIds.ToHashSet();
            Change(s => s.JoinServer(serverId, visible));
            var created = e.Frame.ToNode().AsObject();
            if (created["channels"] is JsonArray channels)
            {
                foreach (var hidden in channels.Where(c => c?["_id"]?.GetValue<string>() is not { } id || !visible.Contains(id)).ToList()) channels.Remove(hidden);
            }
            return [ServerFrame.FromNode(created)];
        }

        var forwarded = e.Forward ? new[] { e.Frame } : [];
        if (reply is null || mine is not { IsMember: true }) return forwarded;
        TopicChange change;
        lock (_state)
        {
            if (!_state.InServer(serverId)) return forwarded;
            change = _state.ShowChannels(serverId, mine.VisibleChannelIds);
            _context.Hub.Apply(this, change);
        }
        if (change.IsEmpty) return forwarded;

        var channelsById = reply.Channels.ToDictionary(c => c.Id);
        var events = new List<JsonNode>();
        if (e.Forward) events.Add(e.Frame.ToNode());
        foreach (var id in change.Added.Where(channelsById.ContainsKey))
        {
            var channel = new JsonObject { ["type"] = "ChannelCreate" };
            foreach (var (name, value) in JsonNode.Parse(channelsById[id].ChannelJson.Span)!.AsObject()) channel[name] = value?.DeepClone();
            events.Add(channel);
        }
        events.AddRange(change.Removed.Select(id => (JsonNode)new JsonObject { ["type"] = "ChannelDelete", ["id"] = id }));
        return events.Count == 1 ? [ServerFrame.FromNode(events[0])] : [ServerFrame.Bulk(events)];
    }

    private void Change(Func<SubscriptionState, TopicChange> change)
    {
        lock (_state) _context.Hub.Apply(this, change(_state));
    }

    /// <summary>The last few UserUpdate event ids: the same change reaches a socket by several topics (user, server members).</summary>
    private sealed class RecentEventIds
    {
        private readonly string?[] _ids = new string?[8];
        private int _next;

        public bool FirstSeen(string? id)
        {
            if (id is null) return true;
            if (Array.IndexOf(_ids, id) >= 0) return false;
            _ids[_next] = id;
            _next = (_next + 1) % _ids.Length;
            return true;
        }
    }
}
