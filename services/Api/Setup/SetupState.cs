using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Spokes.Api.Setup;

/// <summary>
/// The instance's settings as the wizard and the admin page leave them: <c>setup.json</c> in the data folder,
/// readable by its owner only (it holds the OIDC client secret), replaced whole on each change so a crash never
/// leaves half a file. One Api process owns the folder (the local and containers profiles run one replica).
/// </summary>
public sealed class SetupState
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    private readonly SetupOptions _options;
    private readonly Lock _gate = new();
    private ServerSettings _current;
    private CancellationTokenSource _changed = new();

    public SetupState(IOptions<SetupOptions> options)
    {
        _options = options.Value;
        _current = SettingsFile is { } file && System.IO.File.Exists(file)
            ? JsonSerializer.Deserialize<ServerSettings>(System.IO.File.ReadAllText(file), Json) ?? new ServerSettings()
            : new ServerSettings();
    }

    public ServerSettings Current
    {
        get { lock (_gate) return _current; }
    }

    /// <summary>Whether this instance runs the wizard at all (the AppHost's instances do).</summary>
    public bool Required => _options.Required;

    public bool Completed => !Required || Current.Completed;

    /// <summary>New e-mail and password accounts: only once setup is done, and only while built-in accounts are on.</summary>
    public bool SignupsOpen => Completed && Current.Identity.BuiltinAccounts;

    public bool PasswordLoginsOpen => Current.Identity.BuiltinAccounts;

    /// <summary>Where a version before Autumn kept the logo and icon (<see cref="BrandingMigration"/> moves them out); null when the settings live in memory only.</summary>
    public string? BrandingFolder => _options.DataFolder is { } folder ? Path.Combine(folder, "branding") : null;

    private string? SettingsFile => _options.DataFolder is { } folder ? Path.Combine(folder, "setup.json") : null;

    public ServerSettings Update(Func<ServerSettings, ServerSettings> change)
    {
        lock (_gate)
        {
            var next = change(_current);
            if (SettingsFile is { } file)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(file)!);
                var temporary = file + ".tmp";
                var streamOptions = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
                if (!OperatingSystem.IsWindows()) streamOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                using (var stream = new FileStream(temporary, streamOptions))
                {
                    stream.Write(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(next, Json)));
                    stream.Flush(flushToDisk: true);
                }
                System.IO.File.Move(temporary, file, overwrite: true);
            }
            _current = next;
            var changed = _changed;
            _changed = new CancellationTokenSource();
            changed.Cancel();
            return next;
        }
    }

    /// <summary>Fires on the next change of the settings (the options built from them are rebuilt then).</summary>
    public IChangeToken WatchChanges()
    {
        lock (_gate) return new CancellationChangeToken(_changed.Token);
    }

    /// <summary>Whether <paramref name="code"/> is this start's setup code (compared in constant time).</summary>
    public bool IsSetupCode(string? code) =>
        !string.IsNullOrEmpty(_options.Code) && code is not null &&
        CryptographicOperations.FixedTimeEquals(Hash(code.Trim()), Hash(_options.Code));

    /// <summary>The claim that the browser holding <paramref name="browserToken"/> entered this start's code.</summary>
    public SetupClaim ClaimFor(string browserToken) => new(Convert.ToHexString(Hash(_options.Code ?? "")), Convert.ToHexString(Hash(browserToken)));

    /// <summary>Whether the current code was already entered, by any browser.</summary>
    public bool CodeClaimed => Current.Claim is { } claim && claim.CodeHash == Convert.ToHexString(Hash(_options.Code ?? ""));

    public bool IsClaimedBy(string? browserToken) =>
        browserToken is not null && CodeClaimed && Current.Claim!.BrowserHash == Convert.ToHexString(Hash(browserToken));

    private static byte[] Hash(string value) => SHA256.HashData(Encoding.UTF8.GetBytes(value));
}
