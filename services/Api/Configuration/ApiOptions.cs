using Microsoft.Extensions.Options;
using Spokes.Contracts.Voice;

namespace Spokes.Api.Configuration;

/// <summary>
/// The Api's settings (section <c>Api</c>), the counterpart of Stoat's <c>Revolt.toml</c> sections that
/// shape the root configuration. Defaults are Stoat's.
/// </summary>
public sealed class ApiOptions
{
    public const string SectionName = "Api";

    /// <summary>Where users reach this instance (the Gateway), e.g. <c>https://chat.example.com</c>.</summary>
    public string PublicUrl { get; set; } = "http://localhost:8080";

    /// <summary>Whether new accounts need a sign-up invite (Stoat's <c>invite_only</c>); <c>signup-invites create</c> makes them.</summary>
    public bool InviteOnly { get; set; }

    /// <summary>hCaptcha site key; captcha is on when both the key and the secret are set.</summary>
    public string? CaptchaKey { get; set; }

    public string? CaptchaSecret { get; set; }

    /// <summary>Where captcha answers are checked: hCaptcha's <c>siteverify</c>, or a compatible endpoint.</summary>
    public string CaptchaVerifyUrl { get; set; } = "https://api.hcaptcha.com/siteverify";

    /// <summary>SMTP host: email verification is on when set (Stoat's <c>features.email</c>).</summary>
    public string? SmtpHost { get; set; }

    public int SmtpPort { get; set; } = 587;

    /// <summary>Upgrade the SMTP connection with STARTTLS (implicit TLS on port 465 is not supported).</summary>
    public bool SmtpUseTls { get; set; } = true;

    public string? SmtpUsername { get; set; }

    public string? SmtpPassword { get; set; }

    /// <summary>The sender of account emails, e.g. <c>Spokes &lt;noreply@chat.example.com&gt;</c>.</summary>
    public string SmtpFrom { get; set; } = "noreply@localhost";

    /// <summary>Web Push VAPID public key (base64url, uncompressed P-256 point), shown to clients.</summary>
    public string VapidPublicKey { get; set; } = "";

    /// <summary>
    /// Whether the root document tells clients that Autumn (files) answers at <c>/autumn</c>. Off until the
    /// operator, or the AppHost that runs Autumn, says so: clients then offer no uploads that would fail.
    /// </summary>
    public bool AutumnEnabled { get; set; }

    /// <summary>Whether the root document tells clients that January (link embeds, media proxy) answers at <c>/january</c>; off likewise.</summary>
    public bool JanuaryEnabled { get; set; }

    /// <summary>Stoat's <c>features.webhooks_enabled</c>: the <c>/webhooks</c> routes exist only when it is on (off by default, as in Stoat).</summary>
    public bool WebhooksEnabled { get; set; }

    /// <summary>LiveKit nodes beyond the single one of <c>LiveKit__Url</c> (see <see cref="Spokes.Contracts.Voice.VoiceNodes"/>).</summary>
    public List<VoiceNodeOptions> VoiceNodes { get; set; } = [];

    public LegalLinks LegalLinks { get; set; } = new();

    public InstanceLimits Limits { get; set; } = new();
}

public sealed class LegalLinks
{
    public string? TermsOfService { get; set; }
    public string? PrivacyPolicy { get; set; }
    public string? Guidelines { get; set; }
}

/// <param name="configuration">Where the single LiveKit node's settings (<c>LiveKit:*</c>) are read.</param>
internal sealed class ApiOptionsValidator(IConfiguration? configuration = null) : IValidateOptions<ApiOptions>
{
    public ValidateOptionsResult Validate(string? name, ApiOptions options)
    {
        var failures = new List<string>();
        if (!Uri.TryCreate(options.PublicUrl, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            failures.Add($"Api:PublicUrl must be an absolute http(s) URL, not '{options.PublicUrl}'.");
        }
        failures.AddRange(VoiceNodes.Read(options.VoiceNodes, key => configuration?[key], options.PublicUrl).Problems);
        failures.AddRange(options.Limits.Validate());
        if (string.IsNullOrEmpty(options.CaptchaKey) != string.IsNullOrEmpty(options.CaptchaSecret))
            failures.Add("Api:CaptchaKey and Api:CaptchaSecret must be set together: captcha cannot be checked with only one.");
        if (!Uri.TryCreate(options.CaptchaVerifyUrl, UriKind.Absolute, out _)) failures.Add("Api:CaptchaVerifyUrl must be an absolute URL.");
        if (!string.IsNullOrEmpty(options.SmtpHost))
        {
            if (options.SmtpPort is < 1 or > 65535) failures.Add($"Api:SmtpPort must be 1–65535, not {options.SmtpPort}.");
            try
            {
                _ = new System.Net.Mail.MailAddress(options.SmtpFrom);
            }
            catch (FormatException)
            {
                failures.Add($"Api:SmtpFrom must be an email address, not '{options.SmtpFrom}'.");
            }
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
