using System.Text.Json.Serialization;
using Spokes.Api.Storage;

namespace Spokes.Api.Models;

/// <summary>The API's <c>Override</c>: an allow/deny pair as unsigned 64-bit numbers.</summary>
public sealed record OverrideValue(ulong? Allow, ulong? Deny);

public sealed record CreateServerRequest(string? Name, string? Description, bool? Nsfw);

public sealed record CreateServerResponse(Server Server, IReadOnlyList<Channel> Channels);

public sealed record EditServerRequest(
    string? Name,
    string? Description,
    string? Icon,
    string? Banner,
    List<Category>? Categories,
    SystemMessageChannels? SystemMessages,
    int? Flags,
    bool? Discoverable,
    bool? Analytics,
    string? Owner,
    List<string>? Remove);

public sealed record CreateChannelRequest(string? Type, string? Name, string? Description, bool? Nsfw, VoiceInformation? Voice);

public sealed record EditChannelRequest(
    string? Name,
    string? Description,
    string? Owner,
    string? Icon,
    bool? Nsfw,
    bool? Archived,
    VoiceInformation? Voice,
    int? Slowmode,
    List<string>? Remove);

public sealed record CreateGroupRequest(string? Name, string? Description, string? Icon, List<string>? Users, bool? Nsfw);

public sealed record AllMembersResponse(IReadOnlyList<Member> Members, IReadOnlyList<UserResponse> Users);

public sealed record MemberWithRoles(Member Member, IReadOnlyDictionary<string, ServerRole> Roles);

public sealed record EditMemberRequest(
    string? Nickname,
    string? Avatar,
    List<string>? Roles,
    DateTimeOffset? Timeout,
    bool? CanPublish,
    bool? CanReceive,
    string? VoiceChannel,
    List<string>? Remove);

public sealed record BanRequest(string? Reason);

public sealed record BannedUser([property: JsonPropertyName("_id")] string Id, string Username, string Discriminator);

public sealed record BanListResponse(IReadOnlyList<BannedUser> Users, IReadOnlyList<ServerBan> Bans);

public sealed record CreateRoleRequest(string? Name, long? Rank);

public sealed record NewRoleResponse(string Id, ServerRole Role);

public sealed record EditRoleRequest(string? Name, string? Colour, bool? Hoist, long? Rank, List<string>? Remove);

public sealed record EditRoleRanksRequest(List<string>? Ranks);

public sealed record RolePermissionsRequest(OverrideValue? Permissions);

public sealed record DefaultServerPermissionsRequest(ulong? Permissions);

/// <summary>A server channel takes an <c>{allow, deny}</c> pair; a group a plain number.</summary>
public sealed record DefaultChannelPermissionsRequest(System.Text.Json.JsonElement Permissions);

/// <summary>Stoat's public <c>InviteResponse</c>: what someone holding the code may see before joining.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(ServerInviteResponse), "Server")]
[JsonDerivedType(typeof(GroupInviteResponse), "Group")]
public abstract record InviteResponse(string Code, string ChannelId, string ChannelName, string? ChannelDescription, string UserName);

public sealed record ServerInviteResponse(
    string Code, string ServerId, string ServerName, string ChannelId, string ChannelName, string? ChannelDescription, string UserName, long MemberCount)
    : InviteResponse(Code, ChannelId, ChannelName, ChannelDescription, UserName);

public sealed record GroupInviteResponse(string Code, string ChannelId, string ChannelName, string? ChannelDescription, string UserName)
    : InviteResponse(Code, ChannelId, ChannelName, ChannelDescription, UserName);

[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(ServerJoinResponse), "Server")]
[JsonDerivedType(typeof(GroupJoinResponse), "Group")]
public abstract record InviteJoinResponse;

public sealed record ServerJoinResponse(IReadOnlyList<Channel> Channels, Server Server) : InviteJoinResponse;

public sealed record GroupJoinResponse(Channel Channel, IReadOnlyList<UserResponse> Users) : InviteJoinResponse;
