using System.Text.Json.Serialization;
using Spokes.Permissions;

namespace Spokes.Api.Storage;

// As in Stoat, a community object has one shape in the database and on the wire: snake_case, `_id` keys,
// empty and default fields left out. The SQLite provider stores this JSON; the MongoDB provider stores it
// as the equivalent BSON document, which is the layout of Stoat's own collections.

/// <summary>Stoat's <c>OverrideField</c>: an allow/deny pair as the database and models carry it (signed 64-bit).</summary>
public readonly record struct OverrideField(long A, long D)
{
    public PermissionOverride ToOverride() => PermissionOverride.FromField(A, D);

    public static OverrideField From(PermissionOverride value) => new(value.ToField().A, value.ToField().D);
}

public sealed record Category(string Id, string Title, IReadOnlyList<string> Channels);

public sealed record SystemMessageChannels(string? UserJoined, string? UserLeft, string? UserKicked, string? UserBanned)
{
    public IEnumerable<string> ChannelIds() => new[] { UserJoined, UserLeft, UserKicked, UserBanned }.OfType<string>();
}

public sealed record ServerRole(
    string Name,
    OverrideField Permissions,
    string? Colour,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] bool Hoist,
    long Rank)
{
    public Role ToPermissions() => new(Rank, Permissions.ToOverride());
}

public sealed record Server(
    [property: JsonPropertyName("_id")] string Id,
    string Owner,
    string Name,
    string? Description,
    IReadOnlyList<string> Channels,
    IReadOnlyList<Category>? Categories,
    SystemMessageChannels? SystemMessages,
    IReadOnlyDictionary<string, ServerRole> Roles,
    long DefaultPermissions,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] int Flags = 0,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] bool Nsfw = false,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] bool Analytics = false,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] bool Discoverable = false,
    AutumnFile? Icon = null,
    AutumnFile? Banner = null)
{
    public ServerInfo ToPermissions() => new(
        Owner,
        (ChannelPermission)unchecked((ulong)DefaultPermissions),
        Roles.ToDictionary(r => r.Key, r => new Role(r.Value.Rank, r.Value.Permissions.ToOverride())));
}

public sealed record VoiceInformation(int? MaxUsers);

/// <summary>Stoat's <c>Channel</c>: its <c>channel_type</c> says which kind.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "channel_type")]
[JsonDerivedType(typeof(SavedMessages), "SavedMessages")]
[JsonDerivedType(typeof(DirectMessage), "DirectMessage")]
[JsonDerivedType(typeof(Group), "Group")]
[JsonDerivedType(typeof(TextChannel), "TextChannel")]
public abstract record Channel([property: JsonPropertyName("_id")] string Id)
{
    /// <summary>The channel's icon, which only groups and server channels have.</summary>
    [JsonIgnore] public AutumnFile? IconFile => this switch
    {
        Group group => group.Icon,
        TextChannel text => text.Icon,
        _ => null,
    };

    /// <summary>Users who hold this channel without a server: its owner, or the users of a DM or group.</summary>
    public IReadOnlyList<string> PrivateUsers() => this switch
    {
        SavedMessages saved => [saved.User],
        DirectMessage direct => direct.Recipients,
        Group group => group.Recipients,
        _ => [],
    };
}

public sealed record SavedMessages(string Id, string User) : Channel(Id);

public sealed record DirectMessage(string Id, bool Active, IReadOnlyList<string> Recipients, string? LastMessageId) : Channel(Id);

public sealed record Group(
    string Id,
    string Name,
    string Owner,
    string? Description,
    IReadOnlyList<string> Recipients,
    string? LastMessageId,
    long? Permissions,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] bool Nsfw,
    AutumnFile? Icon = null) : Channel(Id);

/// <summary>
/// A server channel; with <see cref="Voice"/> it is also a voice channel. <see cref="Slowmode"/> is how many
/// seconds a member waits between messages there (0: no wait), unless they may bypass it.
/// </summary>
public sealed record TextChannel(
    string Id,
    string Server,
    string Name,
    string? Description,
    string? LastMessageId,
    OverrideField? DefaultPermissions,
    IReadOnlyDictionary<string, OverrideField>? RolePermissions,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] bool Nsfw,
    VoiceInformation? Voice,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] int Slowmode = 0,
    AutumnFile? Icon = null) : Channel(Id)
{
    public ServerChannel ToPermissions() => new(
        DefaultPermissions?.ToOverride(),
        (RolePermissions ?? new Dictionary<string, OverrideField>()).ToDictionary(r => r.Key, r => r.Value.ToOverride()));
}

public sealed record MemberKey(string Server, string User);

/// <summary>A server member. No roles, and the voice flags at their default (true), are left out.</summary>
public sealed record Member(
    [property: JsonPropertyName("_id")] MemberKey Id,
    DateTimeOffset JoinedAt,
    string? Nickname,
    IReadOnlyList<string>? Roles,
    DateTimeOffset? Timeout,
    bool? CanPublish,
    bool? CanReceive,
    AutumnFile? Avatar = null)
{
    public MemberInfo ToPermissions() => new(Roles ?? [], Timeout, CanPublish ?? true, CanReceive ?? true);

    public bool InTimeout(DateTimeOffset now) => Timeout > now;

    /// <summary>
    /// This new member as they join again, given what was set aside when they left: a timeout still running
    /// when they join comes back with the voice flags, as Stoat keeps them; an expired one is forgotten.
    /// </summary>
    public Member Rejoining(Member? setAside) => setAside?.InTimeout(JoinedAt) == true
        ? this with { Timeout = setAside.Timeout, CanPublish = setAside.CanPublish, CanReceive = setAside.CanReceive }
        : this;
}

public sealed record ServerBan([property: JsonPropertyName("_id")] MemberKey Id, string? Reason);

/// <summary>Stoat's <c>Invite</c>: its <c>type</c> says whether it leads into a server channel or a group.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(ServerInvite), "Server")]
[JsonDerivedType(typeof(GroupInvite), "Group")]
public abstract record Invite([property: JsonPropertyName("_id")] string Code, string Creator, string Channel);

public sealed record ServerInvite(string Code, string Server, string Creator, string Channel) : Invite(Code, Creator, Channel);

public sealed record GroupInvite(string Code, string Creator, string Channel) : Invite(Code, Creator, Channel);

public sealed record ChannelUnreadKey(string Channel, string User);

/// <summary>Stoat's <c>ChannelUnread</c>: how far a user has read a channel, and the messages that mention them since.</summary>
public sealed record ChannelUnread([property: JsonPropertyName("_id")] ChannelUnreadKey Id, string? LastId, IReadOnlyList<string>? Mentions);
