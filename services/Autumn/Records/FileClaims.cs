namespace Spokes.Autumn.Records;

/// <summary>The rule of files.proto's Claim for one file, shared by both stores.</summary>
public static class FileClaims
{
    /// <summary>
    /// The uploader recorded for the files the suite stores itself (files.proto's Store): never a user's id (those are
    /// ULIDs), so no user can claim them.
    /// </summary>
    public const string InstanceUploader = "instance";

    /// <summary>A file may be claimed when it exists, is neither deleted nor used, has the use's tag and was uploaded by the claimant.</summary>
    public static bool CanClaim(FileRecord? file, string tag, string uploaderId) =>
        file is { Deleted: false, UsedFor: null } && file.Tag == tag && file.UploaderId == uploaderId;

    /// <summary>The tag a use needs (files.proto): attachments for messages, avatars for avatars, and so on.</summary>
    public static string? TagFor(Contracts.Files.V1.FileUseKind kind) => kind switch
    {
        Contracts.Files.V1.FileUseKind.Message => "attachments",
        Contracts.Files.V1.FileUseKind.UserAvatar or Contracts.Files.V1.FileUseKind.BotAvatar
            or Contracts.Files.V1.FileUseKind.WebhookAvatar or Contracts.Files.V1.FileUseKind.MemberAvatar => "avatars",
        Contracts.Files.V1.FileUseKind.UserBackground => "backgrounds",
        Contracts.Files.V1.FileUseKind.ServerIcon or Contracts.Files.V1.FileUseKind.ChannelIcon or Contracts.Files.V1.FileUseKind.RoleIcon => "icons",
        Contracts.Files.V1.FileUseKind.ServerBanner => "banners",
        Contracts.Files.V1.FileUseKind.Emoji => "emojis",
        _ => null,
    };

    /// <summary>The tag of the instance's own files (files.proto's Store); null for every use a user's upload serves.</summary>
    public static string? InstanceTagFor(Contracts.Files.V1.FileUseKind kind) => kind switch
    {
        Contracts.Files.V1.FileUseKind.InstanceLogo => "banners",
        Contracts.Files.V1.FileUseKind.InstanceIcon => "icons",
        _ => null,
    };
}
