namespace Spokes.Permissions;

/// <summary>
/// Stoat's permission bits (a u64 on the wire). The values are Stoat's: clients send and read them as
/// numbers, so they never change.
/// </summary>
[Flags]
public enum ChannelPermission : ulong
{
    None = 0,

    // Generic
    ManageChannel = 1UL << 0,
    ManageServer = 1UL << 1,
    ManagePermissions = 1UL << 2,
    ManageRole = 1UL << 3,
    ManageCustomisation = 1UL << 4,

    // Member
    KickMembers = 1UL << 6,
    BanMembers = 1UL << 7,
    TimeoutMembers = 1UL << 8,
    AssignRoles = 1UL << 9,
    ChangeNickname = 1UL << 10,
    ManageNicknames = 1UL << 11,
    ChangeAvatar = 1UL << 12,
    RemoveAvatars = 1UL << 13,

    // Channel
    ViewChannel = 1UL << 20,
    ReadMessageHistory = 1UL << 21,
    SendMessage = 1UL << 22,
    ManageMessages = 1UL << 23,
    ManageWebhooks = 1UL << 24,
    InviteOthers = 1UL << 25,
    SendEmbeds = 1UL << 26,
    UploadFiles = 1UL << 27,
    Masquerade = 1UL << 28,
    React = 1UL << 29,

    // Voice
    Connect = 1UL << 30,
    Speak = 1UL << 31,
    Video = 1UL << 32,
    MuteMembers = 1UL << 33,
    DeafenMembers = 1UL << 34,
    MoveMembers = 1UL << 35,
    Listen = 1UL << 36,

    // Mentions and moderation
    MentionEveryone = 1UL << 37,
    MentionRoles = 1UL << 38,
    BypassSlowmode = 1UL << 39,
    ViewAuditLogs = 1UL << 40,

    /// <summary>Every bit a client may hold, within the 52 bits a JavaScript number keeps exactly.</summary>
    GrantAllSafe = 0x000F_FFFF_FFFF_FFFF,
}

/// <summary>What one user may do to another (Stoat's <c>UserPermission</c>).</summary>
[Flags]
public enum UserPermission : ulong
{
    None = 0,
    Access = 1,
    ViewProfile = 2,
    SendMessage = 4,
    Invite = 8,
    All = Access | ViewProfile | SendMessage | Invite,
}

/// <summary>Stoat's preset permission sets.</summary>
public static class DefaultPermissions
{
    public const ChannelPermission ViewOnly = ChannelPermission.ViewChannel | ChannelPermission.ReadMessageHistory;

    public const ChannelPermission Default = ViewOnly
        | ChannelPermission.SendMessage | ChannelPermission.InviteOthers | ChannelPermission.SendEmbeds
        | ChannelPermission.UploadFiles | ChannelPermission.Connect | ChannelPermission.Speak
        | ChannelPermission.Listen | ChannelPermission.Video;

    /// <summary>A new server's <c>default_permissions</c>.</summary>
    public const ChannelPermission Server = Default
        | ChannelPermission.React | ChannelPermission.ChangeNickname | ChannelPermission.ChangeAvatar;

    public const ChannelPermission DirectMessage = Default
        | ChannelPermission.ManageChannel | ChannelPermission.React | ChannelPermission.Masquerade;

    public const ChannelPermission SavedMessages = ChannelPermission.GrantAllSafe;

    /// <summary>All a timed-out member keeps.</summary>
    public const ChannelPermission AllowInTimeout = ViewOnly;

    public const ChannelPermission Webhook = ChannelPermission.SendMessage | ChannelPermission.SendEmbeds
        | ChannelPermission.Masquerade | ChannelPermission.React;
}
