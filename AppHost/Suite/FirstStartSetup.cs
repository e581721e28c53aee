using System.Security.Cryptography;
using System.Text.Json;

namespace Spokes.AppHost.Suite;

/// <summary>
/// The first start of a data folder: the Api serves the setup wizard and refuses sign-ups until it is done. Only
/// whoever sees this AppHost's output may run the wizard: it prints a one-time setup code, new on each start until
/// setup is done. <c>SPOKES_SETUP_FILE</c> names a JSON file of the wizard's answers that completes setup at start
/// instead (automated deployments, tests). The Api keeps the settings in its folder under the data folder.
/// The network answers (public URL, LiveKit's TCP port and UDP range) are read here when the suite starts: the
/// services other than the Api, and the LiveKit container, take them then.
/// </summary>
public sealed class FirstStartSetup
{
    public const string FileVariable = "SPOKES_SETUP_FILE";

    private FirstStartSetup(string folder, string? code, string? file, NetworkAnswers network)
    {
        Folder = folder;
        Code = code;
        File = file;
        Network = network;
    }

    /// <summary>What the setup answered about the network; a null value leaves the AppHost's option in force.</summary>
    public sealed record NetworkAnswers(string? PublicUrl, int? LiveKitTcpPort, PortRange? LiveKitUdpPorts);

    /// <summary>The Api's settings folder (<c>setup.json</c>, logo and icon).</summary>
    public string Folder { get; }

    /// <summary>This start's one-time code; null once setup is done, or when a setup file answers.</summary>
    public string? Code { get; }

    public string? File { get; }

    public NetworkAnswers Network { get; }

    public static FirstStartSetup For(SpokesSuite suite) =>
        For(suite.ResourceFolder("api", "settings"), Environment.GetEnvironmentVariable(FileVariable) is { Length: > 0 } named ? Path.GetFullPath(named) : null);

    /// <summary>The setup of the Api's settings <paramref name="folder"/>, answered by <paramref name="file"/> when there is one.</summary>
    internal static FirstStartSetup For(string folder, string? file)
    {
        if (file is not null && !System.IO.File.Exists(file)) throw new SetupException($"{FileVariable} names {file}, which does not exist.");
        using var settings = Parse(Path.Combine(folder, "setup.json"));
        var completed = IsCompleted(settings);
        var code = file is null && !completed ? NewCode() : null;
        var network = file is not null && !completed ? ReadSetupFileNetwork(file) : SavedNetwork(settings);
        return new FirstStartSetup(folder, code, file, network);
    }

    /// <summary>The network the wizard or the admin page saved (<c>setup.json</c>'s <c>network</c>).</summary>
    private static NetworkAnswers SavedNetwork(JsonDocument? settings) =>
        settings is not null && settings.RootElement.ValueKind == JsonValueKind.Object
        && settings.RootElement.TryGetProperty("network", out var network) && network.ValueKind == JsonValueKind.Object
            ? Answers(Text(network, "publicUrl"), Number(network, "liveKitTcpPort"), Number(network, "liveKitUdpStart"), Number(network, "liveKitUdpEnd"))
            : new NetworkAnswers(null, null, null);

    /// <summary>The network a setup file answers (<c>publicUrl</c>, <c>network.livekit…</c>); the Api refuses a file with bad values.</summary>
    private static NetworkAnswers ReadSetupFileNetwork(string file)
    {
        using var document = Parse(file);
        if (document is null || document.RootElement.ValueKind != JsonValueKind.Object) return new NetworkAnswers(null, null, null);
        var root = document.RootElement;
        var network = root.TryGetProperty("network", out var given) && given.ValueKind == JsonValueKind.Object ? given : default;
        return Answers(Text(root, "publicUrl"), Number(network, "livekitTcpPort"), Number(network, "livekitUdpStart"), Number(network, "livekitUdpEnd"));
    }

    private static NetworkAnswers Answers(string? publicUrl, int? tcpPort, int? udpStart, int? udpEnd) => new(
        Uri.TryCreate(publicUrl, UriKind.Absolute, out var url) && url.Scheme is "http" or "https" ? publicUrl!.TrimEnd('/') : null,
        tcpPort is > 0 and < 65536 ? tcpPort : null,
        udpStart is > 0 and < 65536 && udpEnd is > 0 and < 65536 && udpStart <= udpEnd ? new PortRange(udpStart.Value, udpEnd.Value) : null);

    private static string? Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static int? Number(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number
        && value.TryGetInt32(out var number) ? number : null;

    private static JsonDocument? Parse(string file)
    {
        if (!System.IO.File.Exists(file)) return null;
        try
        {
            return JsonDocument.Parse(System.IO.File.ReadAllBytes(file));
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The line for the startup report, or null when setup was done on an earlier start.</summary>
    public string? ReportLine(string publicUrl) =>
        Code is not null ? $"Setup: open {publicUrl}/ and enter the one-time setup code {Code}"
        : File is not null && !IsCompleted(Folder) ? $"Setup: answered by {FileVariable} ({File})"
        : null;

    private static bool IsCompleted(string folder)
    {
        using var settings = Parse(Path.Combine(folder, "setup.json"));
        return IsCompleted(settings);
    }

    private static bool IsCompleted(JsonDocument? settings) =>
        settings is not null && settings.RootElement.ValueKind == JsonValueKind.Object
        && settings.RootElement.TryGetProperty("completed", out var completed) && completed.ValueKind == JsonValueKind.True;

    /// <summary>Four groups of four from an alphabet without look-alikes: easy to type, 80 bits to guess.</summary>
    private static string NewCode()
    {
        const string alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        var raw = RandomNumberGenerator.GetString(alphabet, 16);
        return string.Join('-', raw.Chunk(4).Select(c => new string(c)));
    }
}
