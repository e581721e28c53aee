namespace Spokes.Api.Configuration;

// Stoat's `RevoltConfig` (GET /), field for field; serialised in snake_case.

public sealed record RootConfiguration(
    string Revolt,
    RootFeatures Features,
    string Ws,
    string App,
    string Vapid,
    BuildInformation Build);

public sealed record RootFeatures(
    CaptchaFeature Captcha,
    bool Email,
    bool InviteOnly,
    ServiceFeature Autumn,
    ServiceFeature January,
    VoiceFeature Livekit,
    LimitsFeature Limits,
    LegalLinksFeature LegalLinks);

public sealed record CaptchaFeature(bool Enabled, string Key);

public sealed record ServiceFeature(bool Enabled, string Url);

public sealed record VoiceFeature(bool Enabled, IReadOnlyList<VoiceNode> Nodes);

public sealed record VoiceNode(string Name, double Lat, double Lon, string PublicUrl);

public sealed record LimitsFeature(GlobalLimits Global, UserLimitsFeature NewUser, UserLimitsFeature Default);

public sealed record UserLimitsFeature(
    int OutgoingFriendRequests,
    int Bots,
    int MessageLength,
    int MessageAttachments,
    int Servers,
    int VoiceQuality,
    bool Video,
    int[] VideoResolution,
    double[] VideoAspectRatio,
    IReadOnlyDictionary<string, long> FileUploadSizeLimit);

public sealed record LegalLinksFeature(string? TermsOfService, string? PrivacyPolicy, string? Guidelines);

public sealed record BuildInformation(
    string CommitSha,
    string CommitTimestamp,
    string Semver,
    string OriginUrl,
    string Timestamp);
