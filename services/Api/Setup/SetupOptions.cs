namespace Spokes.Api.Setup;

/// <summary>
/// The first-start setup (section <c>Setup</c>). The AppHost turns it on: until the wizard (or the file named by
/// <c>SPOKES_SETUP_FILE</c>) completes it, sign-ups are refused and <c>/</c> leads to the wizard. An Api run on its
/// own (the service tests) has it off and behaves as a configured instance.
/// </summary>
public sealed class SetupOptions
{
    public const string SectionName = "Setup";

    public bool Required { get; set; }

    /// <summary>Where the settings (<c>setup.json</c>) and the logo and icon are kept; in memory only when unset.</summary>
    public string? DataFolder { get; set; }

    /// <summary>The one-time code printed by the AppHost: whoever enters it first may run the wizard.</summary>
    public string? Code { get; set; }

    /// <summary>A JSON file of answers (SPOKES_SETUP_FILE) that completes setup at start.</summary>
    public string? File { get; set; }

    /// <summary>
    /// The same answers as JSON text, where no file can be handed over (a cluster passes them as a secret); a
    /// licence they name is looked for in <see cref="DataFolder"/>.
    /// </summary>
    public string? Answers { get; set; }

    /// <summary>The Ed25519 public key (base64 of its 32 raw bytes) that licence files are verified with.</summary>
    public string? LicenseVerifyingKey { get; set; }
}
