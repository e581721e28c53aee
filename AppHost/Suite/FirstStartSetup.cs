using System.Security.Cryptography;
using System.Text.Json;

namespace Spokes.AppHost.Suite;

/// <summary>
/// The first start of a data folder: the Api serves the setup wizard and refuses sign-ups until it is done. Only
/// whoever sees this AppHost's output may run the wizard: it prints a one-time setup code, new on each start until
/// setup is done. <c>SPOKES_SETUP_FILE</c> names a JSON file of the wizard's answers that completes setup at start
/// instead (automated deployments, tests). The Api keeps the settings in its folder under the data folder.
/// </summary>
public sealed class FirstStartSetup
{
    public const string FileVariable = "SPOKES_SETUP_FILE";

    private FirstStartSetup(string folder, string? code, string? file)
    {
        Folder = folder;
        Code = code;
        File = file;
    }

    /// <summary>The Api's settings folder (<c>setup.json</c>, logo and icon).</summary>
    public string Folder { get; }

    /// <summary>This start's one-time code; null once setup is done, or when a setup file answers.</summary>
    public string? Code { get; }

    public string? File { get; }

    public static FirstStartSetup For(SpokesSuite suite)
    {
        var folder = suite.ResourceFolder("api", "settings");
        var file = Environment.GetEnvironmentVariable(FileVariable) is { Length: > 0 } named ? Path.GetFullPath(named) : null;
        if (file is not null && !System.IO.File.Exists(file)) throw new SetupException($"{FileVariable} names {file}, which does not exist.");
        var code = file is null && !IsCompleted(folder) ? NewCode() : null;
        return new FirstStartSetup(folder, code, file);
    }

    /// <summary>The line for the startup report, or null when setup was done on an earlier start.</summary>
    public string? ReportLine(string publicUrl) =>
        Code is not null ? $"Setup: open {publicUrl}/ and enter the one-time setup code {Code}"
        : File is not null && !IsCompleted(Folder) ? $"Setup: answered by {FileVariable} ({File})"
        : null;

    private static bool IsCompleted(string folder)
    {
        var settings = Path.Combine(folder, "setup.json");
        if (!System.IO.File.Exists(settings)) return false;
        try
        {
            using var document = JsonDocument.Parse(System.IO.File.ReadAllBytes(settings));
            return document.RootElement.TryGetProperty("completed", out var completed) && completed.ValueKind == JsonValueKind.True;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>Four groups of four from an alphabet without look-alikes: easy to type, 80 bits to guess.</summary>
    private static string NewCode()
    {
        const string alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        var raw = RandomNumberGenerator.GetString(alphabet, 16);
        return string.Join('-', raw.Chunk(4).Select(c => new string(c)));
    }
}
