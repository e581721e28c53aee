using System.Reflection;
using Microsoft.Extensions.Options;

namespace Spokes.Api.Configuration;

/// <summary>
/// Builds Stoat's root configuration from <see cref="ApiOptions"/>: every public URL is derived from the
/// one public URL of the Gateway, with Stoat's self-hosted paths (<c>/ws</c>, <c>/autumn</c>, <c>/january</c>).
/// </summary>
public sealed class RootConfigurationFactory(IOptionsMonitor<ApiOptions> options, Voice.VoiceNodeRegistry voice)
{
    /// <summary>The Stoat API version whose contract this Api serves (npm <c>stoat-api@0.8.9-4</c>).</summary>
    public const string StoatApiVersion = "0.8.9";

    private static readonly BuildInformation Build = ReadBuildInformation(typeof(RootConfigurationFactory).Assembly);

    public RootConfiguration Create()
    {
        var current = options.CurrentValue;
        var publicUrl = current.PublicUrl.TrimEnd('/');
        var wsUrl = (publicUrl.StartsWith("https://", StringComparison.OrdinalIgnoreCase) ? "wss://" + publicUrl[8..]
            : publicUrl.StartsWith("http://", StringComparison.OrdinalIgnoreCase) ? "ws://" + publicUrl[7..]
            : publicUrl) + "/ws";
        var captchaEnabled = !string.IsNullOrEmpty(current.CaptchaKey) && !string.IsNullOrEmpty(current.CaptchaSecret);
        var voiceNodes = voice.All
            .Where(node => !node.Private)
            .Select(node => new VoiceNode(node.Name, node.Lat, node.Lon, node.PublicUrl))
            .ToList();

        return new RootConfiguration(
            Revolt: StoatApiVersion,
            Features: new RootFeatures(
                Captcha: new CaptchaFeature(captchaEnabled, captchaEnabled ? current.CaptchaKey! : ""),
                Email: !string.IsNullOrEmpty(current.SmtpHost),
                InviteOnly: current.InviteOnly,
                Autumn: new ServiceFeature(current.AutumnEnabled, publicUrl + "/autumn"),
                January: new ServiceFeature(current.JanuaryEnabled, publicUrl + "/january"),
                // Voice is on when at least one node takes calls, even if all of them are private.
                Livekit: new VoiceFeature(voice.Enabled, voiceNodes),
                Limits: new LimitsFeature(current.Limits.Global, ToFeature(current.Limits.NewUser), ToFeature(current.Limits.Default)),
                LegalLinks: new LegalLinksFeature(
                    current.LegalLinks.TermsOfService, current.LegalLinks.PrivacyPolicy, current.LegalLinks.Guidelines)),
            Ws: wsUrl,
            App: publicUrl,
            Vapid: current.VapidPublicKey,
            Build: Build);
    }

    private static UserLimitsFeature ToFeature(UserLimits limits) => new(
        limits.OutgoingFriendRequests,
        limits.Bots,
        limits.MessageLength,
        limits.MessageAttachments,
        limits.Servers,
        limits.VoiceQuality,
        limits.Video,
        [limits.VideoMaxWidth, limits.VideoMaxHeight],
        [limits.VideoMinAspectRatio, limits.VideoMaxAspectRatio],
        limits.FileUploadSizeLimit);

    internal static BuildInformation ReadBuildInformation(Assembly assembly)
    {
        string Metadata(string key) => assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == key)?.Value ?? "";

        var informational = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "";
        var built = File.Exists(assembly.Location) ? File.GetLastWriteTimeUtc(assembly.Location) : DateTime.UtcNow;
        return new BuildInformation(
            CommitSha: Metadata("CommitSha"),
            CommitTimestamp: Metadata("CommitTimestamp"),
            Semver: informational.Split('+')[0],
            OriginUrl: Metadata("OriginUrl"),
            Timestamp: built.ToString("O"));
    }
}
