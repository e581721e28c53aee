namespace Spokes.Api.Setup;

/// <summary>What the wizard asks and the admin page changes later, kept in the data folder.</summary>
public sealed record ServerSettings
{
    public bool Completed { get; init; }
    public bool EulaAccepted { get; init; }
    public string ServerName { get; init; } = "Spokes";

    /// <summary>The logo and icon, kept by Autumn (shown from <c>{public url}/autumn/{tag}/{id}</c>).</summary>
    public BrandingImage? Logo { get; init; }
    public BrandingImage? Icon { get; init; }

    /// <summary>
    /// A logo or icon file that a version before Autumn kept in the data folder's <c>branding</c> folder; moved into
    /// Autumn at start (<see cref="BrandingMigration"/>), after which these are null.
    /// </summary>
    public string? LogoFile { get; init; }
    public string? IconFile { get; init; }

    /// <summary>The verified licence; none is demo mode.</summary>
    public LicenseInfo? License { get; init; }

    public NetworkSettings Network { get; init; } = new();
    public IdentitySettings Identity { get; init; } = new();
    public IReadOnlyList<AdminEntry> Admins { get; init; } = [];

    /// <summary>The browser that entered the current setup code: SHA-256 of the code and of the browser's cookie.</summary>
    public SetupClaim? Claim { get; init; }

    /// <summary>The wizard's furthest step, so a reload resumes there.</summary>
    public int Step { get; init; }
}

/// <summary>A file of Autumn's claimed for the instance: its tag and id.</summary>
public sealed record BrandingImage(string Tag, string Id);

public sealed record SetupClaim(string CodeHash, string BrowserHash);

/// <summary>
/// Where users reach the instance and the suite's LiveKit listens. The ports' defaults are the AppHost's
/// (<c>--voice-ports</c>); the AppHost reads the chosen ones from <c>setup.json</c> when it starts.
/// </summary>
public sealed record NetworkSettings
{
    public const int DefaultTcpPort = 7881;
    public const int DefaultUdpStart = 50000;
    public const int DefaultUdpEnd = 50499;

    /// <summary>Null: the public URL the AppHost was started with.</summary>
    public string? PublicUrl { get; init; }

    public int LiveKitTcpPort { get; init; } = DefaultTcpPort;
    public int LiveKitUdpStart { get; init; } = DefaultUdpStart;
    public int LiveKitUdpEnd { get; init; } = DefaultUdpEnd;
}

public enum IdentityMode { Builtin, Oidc }

public sealed record IdentitySettings
{
    public IdentityMode Mode { get; init; } = IdentityMode.Builtin;

    /// <summary>Whether e-mail and password accounts may sign up and log in; only an OIDC instance may switch them off.</summary>
    public bool BuiltinAccounts { get; init; } = true;

    public OidcProvider? Oidc { get; init; }
}

/// <summary>An external OpenID provider, chosen by the operator.</summary>
public sealed record OidcProvider(string Issuer, string ClientId, string ClientSecret);

public enum AdminRole { Global, Organisation }

public sealed record AdminEntry(string AccountId, string Email, AdminRole Role);

public sealed record LicenseInfo(string Licensee, string Edition, int Seats, DateOnly Expires);
