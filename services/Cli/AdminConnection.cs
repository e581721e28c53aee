using System.Text.Json;
using Grpc.Core;
using Grpc.Net.Client;
using Spokes.Contracts.Tunnels.V1;

namespace Spokes.Cli;

/// <summary>
/// Where the edge's admin API is and its key: <c>--url</c>/<c>--key</c>, else <c>SPOKES_ADMIN_URL</c>/<c>SPOKES_ADMIN_KEY</c>,
/// else the edge's own configuration file (<c>listen.admin</c>, <c>adminKey</c> or <c>DATAPATH/admin.key</c>), as on the edge's machine.
/// </summary>
public static class AdminConnection
{
    public const string DefaultEdgeConfig = "/etc/spokes/config.json";

    public static TunnelAdmin.TunnelAdminClient Open(string? url, string? key, string? edgeConfig)
    {
        url ??= Environment.GetEnvironmentVariable("SPOKES_ADMIN_URL");
        key ??= Environment.GetEnvironmentVariable("SPOKES_ADMIN_KEY");
        if (url is null || key is null)
        {
            var path = edgeConfig ?? (File.Exists(DefaultEdgeConfig) ? DefaultEdgeConfig : null)
                ?? throw new CliException("Where is the edge? Give --url and --key, set SPOKES_ADMIN_URL and SPOKES_ADMIN_KEY, or --config /etc/spokes/config.json.");
            var (fileUrl, fileKey) = FromEdgeConfig(path);
            url ??= fileUrl;
            key ??= fileKey;
        }
        var credentials = CallCredentials.FromInterceptor((_, metadata) =>
        {
            metadata.Add("authorization", $"Bearer {key}");
            return Task.CompletedTask;
        });
        var channel = GrpcChannel.ForAddress(url, new GrpcChannelOptions
        {
            Credentials = ChannelCredentials.Create(url.StartsWith("https", StringComparison.Ordinal) ? ChannelCredentials.SecureSsl : ChannelCredentials.Insecure, credentials),
            UnsafeUseInsecureChannelCallCredentials = true,
        });
        return new TunnelAdmin.TunnelAdminClient(channel);
    }

    private static (string Url, string Key) FromEdgeConfig(string path)
    {
        if (!File.Exists(path)) throw new CliException($"The edge configuration {path} does not exist.");
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        var root = document.RootElement;
        string? Text(params string[] keys)
        {
            var element = root;
            foreach (var name in keys)
            {
                var match = element.ValueKind == JsonValueKind.Object
                    ? element.EnumerateObject().FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))
                    : default;
                if (match.Value.ValueKind == JsonValueKind.Undefined) return null;
                element = match.Value;
            }
            return element.ValueKind == JsonValueKind.String ? element.GetString() : null;
        }
        var admin = (Text("listen", "admin") ?? "127.0.0.1:7101").Replace("0.0.0.0", "127.0.0.1").Replace("*", "127.0.0.1");
        var key = Text("adminKey");
        if (key is null)
        {
            var keyFile = Path.Combine(Text("dataPath") ?? "/var/lib/spokes", "admin.key");
            key = File.Exists(keyFile) ? File.ReadAllText(keyFile).Trim()
                : throw new CliException($"No admin key: {keyFile} does not exist (is the edge started, and may you read it?).");
        }
        return ($"http://{admin}", key);
    }
}

/// <summary>A problem to report in one line and exit with 1.</summary>
public sealed class CliException(string message) : Exception(message);
