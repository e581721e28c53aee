using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Spokes.Api.Storage;
using StackExchange.Redis;

namespace Spokes.Api.Events;

/// <summary>
/// Publishes Stoat's <c>EventV1</c> JSON (<c>{"type": …}</c>) to the Redis topics Stoat uses — <c>{server}</c>
/// for a server's structure and members, <c>{channel}</c> for a channel, <c>{user}</c> for a user's public
/// changes (and <c>{server}u</c>, see <see cref="UserUpdatePublisher"/>), <c>{user}!</c> for a user's private events — for the Events service to fan out to sockets. Events notify; the state
/// they describe is already stored, and a client that misses one gets it in its next Ready.
/// </summary>
public sealed class EventPublisher(IConnectionMultiplexer redis, ILogger<EventPublisher> logger, Voice.CallWatch calls)
{
    public static string PrivateTopic(string userId) => userId + "!";

    /// <summary>A server's member topic: changes to its members' users, for bots and sockets that <c>Subscribe</c>d.</summary>
    public static string MembersTopic(string serverId) => serverId + "u";

    /// <summary>Safety reports: only privileged users' sockets subscribe to this topic.</summary>
    public const string ModerationTopic = "moderation";

    public async Task PublishAsync(string topic, StoatEvent @event)
    {
        // Calls follow what changed (members leaving, permissions): see CallWatch.
        calls.Notice(@event);
        try
        {
            // Not waited for: the change is stored already, and a request must not wait on a stalled Redis for a
            // notification (a socket that misses it is closed with the outage and gets a fresh Ready).
            await redis.GetSubscriber().PublishAsync(RedisChannel.Literal(topic), @event.ToJson(), CommandFlags.FireAndForget);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            logger.LogWarning(e, "{Type} for {Topic} was not published: Redis did not answer", @event.Type, topic);
        }
    }
}

/// <summary>An <c>EventV1</c>; <see cref="Type"/> is its tag on the wire.</summary>
public abstract record StoatEvent
{
    [JsonPropertyOrder(-1)]
    public abstract string Type { get; }

    public virtual string ToJson() => JsonSerializer.Serialize<object>(this, StoatJson.Options);

    /// <summary>The event as Stoat sends one that carries an object: the object's own fields beside <c>type</c>.</summary>
    /// <typeparam name="T">The declared type, so a polymorphic object keeps its discriminator (e.g. <c>channel_type</c>).</typeparam>
    protected string FieldsBesideType<T>(T value, params (string Name, object? Value)[] extra)
    {
        var result = new JsonObject { ["type"] = Type };
        foreach (var (name, field) in JsonSerializer.SerializeToNode(value, StoatJson.Options)!.AsObject()) result[name] = field?.DeepClone();
        foreach (var (name, field) in extra.Where(e => e.Value is not null)) result[name] = JsonSerializer.SerializeToNode(field, StoatJson.Options);
        return result.ToJsonString();
    }
}

/// <summary>How <see cref="Id"/> now stands with <see cref="User"/>, as <see cref="Id"/> sees that user.</summary>
public sealed record UserRelationshipEvent(string Id, Models.UserResponse User) : StoatEvent
{
    public override string Type => "UserRelationship";
}

/// <summary>
/// A user changed: <see cref="Data"/> holds the new values of the changed fields, <see cref="Clear"/> the
/// fields removed; <see cref="EventId"/> lets the Events service drop duplicates.
/// </summary>
public sealed record UserUpdateEvent(string Id, IReadOnlyDictionary<string, object?> Data, IReadOnlyList<string> Clear, string EventId) : StoatEvent
{
    public override string Type => "UserUpdate";
}

public sealed record ServerCreateEvent(string Id, Server Server, IReadOnlyList<Channel> Channels) : StoatEvent
{
    public override string Type => "ServerCreate";

    public IReadOnlyList<object> Emojis => [];

    /// <summary>The server's calls in progress.</summary>
    public IReadOnlyList<Spokes.Contracts.Voice.ChannelVoiceState> VoiceStates { get; init; } = [];
}

/// <summary>A server changed: <see cref="Data"/> holds the new values of changed fields, <see cref="Clear"/> the removed ones.</summary>
public sealed record ServerUpdateEvent(string Id, IReadOnlyDictionary<string, object?> Data, IReadOnlyList<string> Clear) : StoatEvent
{
    public override string Type => "ServerUpdate";
}

public sealed record ServerDeleteEvent(string Id) : StoatEvent
{
    public override string Type => "ServerDelete";
}

public sealed record ServerMemberJoinEvent(string Id, string User, Member Member) : StoatEvent
{
    public override string Type => "ServerMemberJoin";
}

public sealed record ServerMemberUpdateEvent(MemberKey Id, IReadOnlyDictionary<string, object?> Data, IReadOnlyList<string> Clear) : StoatEvent
{
    public override string Type => "ServerMemberUpdate";
}

/// <summary><see cref="Reason"/> is <c>Leave</c>, <c>Kick</c> or <c>Ban</c>.</summary>
public sealed record ServerMemberLeaveEvent(string Id, string User, string Reason) : StoatEvent
{
    public override string Type => "ServerMemberLeave";
}

public sealed record ServerRoleUpdateEvent(string Id, string RoleId, IReadOnlyDictionary<string, object?> Data, IReadOnlyList<string> Clear) : StoatEvent
{
    public override string Type => "ServerRoleUpdate";
}

public sealed record ServerRoleDeleteEvent(string Id, string RoleId) : StoatEvent
{
    public override string Type => "ServerRoleDelete";
}

public sealed record ServerRoleRanksUpdateEvent(string Id, IReadOnlyList<string> Ranks) : StoatEvent
{
    public override string Type => "ServerRoleRanksUpdate";
}

/// <summary>Stoat sends the new channel's own fields beside <c>type</c>.</summary>
public sealed record ChannelCreateEvent(Channel Channel) : StoatEvent
{
    public override string Type => "ChannelCreate";

    public override string ToJson() => FieldsBesideType(Channel);
}

public sealed record ChannelUpdateEvent(string Id, IReadOnlyDictionary<string, object?> Data, IReadOnlyList<string> Clear) : StoatEvent
{
    public override string Type => "ChannelUpdate";
}

public sealed record ChannelDeleteEvent(string Id) : StoatEvent
{
    public override string Type => "ChannelDelete";
}

public sealed record ChannelGroupJoinEvent(string Id, string User) : StoatEvent
{
    public override string Type => "ChannelGroupJoin";
}

public sealed record ChannelGroupLeaveEvent(string Id, string User) : StoatEvent
{
    public override string Type => "ChannelGroupLeave";
}

/// <summary>A new message, with its author's user and (in a server) member, its fields beside <c>type</c> as Stoat sends it.</summary>
public sealed record MessageEvent(Message Message, Models.UserResponse? User, Member? Member) : StoatEvent
{
    public override string Type => "Message";

    public override string ToJson() => FieldsBesideType(Message, ("user", User), ("member", Member));
}

public sealed record MessageUpdateEvent(string Id, string Channel, IReadOnlyDictionary<string, object?> Data, IReadOnlyList<string> Clear) : StoatEvent
{
    public override string Type => "MessageUpdate";
}

public sealed record MessageDeleteEvent(string Id, string Channel) : StoatEvent
{
    public override string Type => "MessageDelete";
}

public sealed record BulkMessageDeleteEvent(string Channel, IReadOnlyList<string> Ids) : StoatEvent
{
    public override string Type => "BulkMessageDelete";
}

public sealed record MessageReactEvent(string Id, string ChannelId, string UserId, string EmojiId) : StoatEvent
{
    public override string Type => "MessageReact";
}

public sealed record MessageUnreactEvent(string Id, string ChannelId, string UserId, string EmojiId) : StoatEvent
{
    public override string Type => "MessageUnreact";
}

public sealed record MessageRemoveReactionEvent(string Id, string ChannelId, string EmojiId) : StoatEvent
{
    public override string Type => "MessageRemoveReaction";
}

public sealed record ChannelAckEvent(string Id, string User, string MessageId) : StoatEvent
{
    public override string Type => "ChannelAck";
}

/// <summary><see cref="Update"/> maps each changed key to <c>[timestamp, value]</c>.</summary>
public sealed record UserSettingsUpdateEvent(string Id, IReadOnlyDictionary<string, object[]> Update) : StoatEvent
{
    public override string Type => "UserSettingsUpdate";
}

/// <summary>Stoat sends the new webhook's own fields beside <c>type</c>.</summary>
public sealed record WebhookCreateEvent(Webhook Webhook) : StoatEvent
{
    public override string Type => "WebhookCreate";

    public override string ToJson() => FieldsBesideType(Models.WebhookResponse.Of(Webhook));
}

public sealed record WebhookUpdateEvent(string Id, IReadOnlyDictionary<string, object?> Data, IReadOnlyList<string> Remove) : StoatEvent
{
    public override string Type => "WebhookUpdate";
}

public sealed record WebhookDeleteEvent(string Id) : StoatEvent
{
    public override string Type => "WebhookDelete";
}

/// <summary>Stoat sends the emoji's own fields beside <c>type</c>.</summary>
public sealed record EmojiCreateEvent(Emoji Emoji) : StoatEvent
{
    public override string Type => "EmojiCreate";

    public override string ToJson() => FieldsBesideType(Emoji);
}

public sealed record EmojiUpdateEvent(string Id, IReadOnlyDictionary<string, object?> Data, IReadOnlyList<string> Clear) : StoatEvent
{
    public override string Type => "EmojiUpdate";
}

public sealed record EmojiDeleteEvent(string Id) : StoatEvent
{
    public override string Type => "EmojiDelete";
}

/// <summary>A new safety report, for the moderators' sockets (<see cref="EventPublisher.ModerationTopic"/>).</summary>
public sealed record ReportCreateEvent(Report Report) : StoatEvent
{
    public override string Type => "ReportCreate";

    public override string ToJson() => FieldsBesideType(Report);
}

/// <summary>Internal: the Events service logs out the sockets of this session.</summary>
public sealed record DeleteSessionEvent(string UserId, string SessionId) : StoatEvent
{
    public override string Type => "DeleteSession";
}

/// <summary>Internal: the Events service logs out every socket of the user but those of <see cref="ExcludeSessionId"/>.</summary>
public sealed record DeleteAllSessionsEvent(string UserId, string? ExcludeSessionId) : StoatEvent
{
    public override string Type => "DeleteAllSessions";
}
