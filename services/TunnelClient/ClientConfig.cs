using System.Text.Json;
using System.Text.Json.Serialization;

namespace Spokes.TunnelClient;

/// <summary>
/// The client's file (Packetriot's client keeps the same facts): which edge, the authentication token
/// (<c>key</c>), the pinned edge certificate (<c>serverKey</c>), the tunnel's hostname and its routes.
/// </summary>
public sealed class ClientConfig
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public int Version { get; set; } = 1;

    /// <summary>The edge's tunnel address, <c>HOST[:PORT]</c> (port 8443 when absent).</summary>
    public string? Hostname { get; set; }

    public string? Key { get; set; }

    /// <summary>SHA-256 of the edge's certificate; when set, it is trusted instead of the system's CAs.</summary>
    public string? ServerKey { get; set; }

    public long? TunnelId { get; set; }

    public string? TunnelHostname { get; set; }

    public List<HttpRoute> Https { get; set; } = [];

    public List<TcpRoute> Ports { get; set; } = [];

    /// <summary>
    /// Data connections without TLS where the edge allows them (a trusted network between client and edge):
    /// visitors' bytes are relayed without being encrypted. The control connection always uses TLS.
    /// </summary>
    public bool PlaintextData { get; set; }

    public static string DefaultPath =>
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config", "spokes-tunnel", "config.json");

    public static ClientConfig Load(string path)
    {
        if (!File.Exists(path)) return new ClientConfig();
        try
        {
            return JsonSerializer.Deserialize<ClientConfig>(File.ReadAllText(path), Json) ?? new ClientConfig();
        }
        catch (JsonException e)
        {
            throw new ClientException($"{path} is not a readable configuration: {e.Message}");
        }
    }

    /// <summary>Written to a new file and renamed over the old one, readable by the owner only (it holds the token).</summary>
    public void Save(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(this, Json));
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(temporary, path, overwrite: true);
    }
}

public sealed class HttpRoute
{
    public string Domain { get; set; } = "";
    public string Destination { get; set; } = "127.0.0.1";
    public int Port { get; set; }
}

public sealed class TcpRoute
{
    /// <summary>The public port on the edge (allocated).</summary>
    public int Port { get; set; }

    /// <summary>Where visitors of the port go; null until <c>tunnel tcp forward</c>.</summary>
    public string? Destination { get; set; }

    public int? DstPort { get; set; }
}

/// <summary>A problem to report in one line and exit with 1.</summary>
public sealed class ClientException(string message) : Exception(message);
