namespace Spokes.Api.Configuration;

/// <summary>
/// Stoat's <c>features.limits</c>: instance-wide limits plus per-user limits for new users (accounts
/// younger than <see cref="GlobalLimits.NewUserHours"/>) and everyone else. Defaults are Stoat's.
/// </summary>
public sealed class InstanceLimits
{
    public GlobalLimits Global { get; set; } = new();

    public UserLimits NewUser { get; set; } = UserLimits.NewUserDefaults();

    public UserLimits Default { get; set; } = new();

    /// <summary>The limits of a user whose account was made at <paramref name="createdAt"/>: new users have tighter ones.</summary>
    public UserLimits For(DateTimeOffset createdAt, DateTimeOffset now) =>
        now - createdAt < TimeSpan.FromHours(Global.NewUserHours) ? NewUser : Default;

    public IEnumerable<string> Validate()
    {
        if (Global.GroupSize < 2) yield return "Api:Limits:Global:GroupSize must be at least 2.";
        if (Global.BodyLimitSize < 1) yield return "Api:Limits:Global:BodyLimitSize must be positive.";
        foreach (var (name, limits) in new[] { ("NewUser", NewUser), ("Default", Default) })
        {
            if (limits.MessageLength is < 1 or > 2000)
                yield return $"Api:Limits:{name}:MessageLength must be 1–2000 (Stoat clients cap messages at 2000).";
            if (limits.VideoMaxWidth < 1 || limits.VideoMaxHeight < 1 || limits.VideoMinAspectRatio <= 0
                || limits.VideoMinAspectRatio > limits.VideoMaxAspectRatio)
                yield return $"Api:Limits:{name}: video size must be positive and VideoMinAspectRatio ≤ VideoMaxAspectRatio.";
            if (limits.FileUploadSizeLimit.Values.Any(size => size < 1))
                yield return $"Api:Limits:{name}:FileUploadSizeLimit sizes must be positive.";
        }
    }
}

public sealed class GlobalLimits
{
    public int GroupSize { get; set; } = 100;
    public int MessageEmbeds { get; set; } = 5;
    public int MessageReplies { get; set; } = 5;
    public int MessageReactions { get; set; } = 20;
    public int ServerEmoji { get; set; } = 100;
    public int ServerRoles { get; set; } = 200;
    public int ServerChannels { get; set; } = 200;
    public int NewUserHours { get; set; } = 72;
    public long BodyLimitSize { get; set; } = 20_000_000;
    public bool RestrictServerCreation { get; set; }
}

public sealed class UserLimits
{
    public int OutgoingFriendRequests { get; set; } = 10;
    public int Bots { get; set; } = 5;
    public int MessageLength { get; set; } = 2000;
    public int MessageAttachments { get; set; } = 5;
    public int Servers { get; set; } = 100;
    public int VoiceQuality { get; set; } = 16000;
    public bool Video { get; set; } = true;
    public int VideoMaxWidth { get; set; } = 1080;
    public int VideoMaxHeight { get; set; } = 720;
    public double VideoMinAspectRatio { get; set; } = 0.3;
    public double VideoMaxAspectRatio { get; set; } = 2.5;

    /// <summary>Upload size per Autumn tag, in bytes.</summary>
    public Dictionary<string, long> FileUploadSizeLimit { get; set; } = new()
    {
        ["attachments"] = 20_000_000,
        ["avatars"] = 4_000_000,
        ["backgrounds"] = 6_000_000,
        ["icons"] = 2_500_000,
        ["banners"] = 6_000_000,
        ["emojis"] = 500_000,
    };

    public static UserLimits NewUserDefaults() => new()
    {
        OutgoingFriendRequests = 5,
        Bots = 2,
        Servers = 50,
    };
}
