using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Spokes.AppHost.Suite;

/// <summary>
/// Generated credentials of a data folder (<c>secrets.json</c>, mode 0600): made once, kept for every later
/// run, because the data they protect (RabbitMQ users, Redis, VAPID subscriptions) outlives one run.
/// </summary>
public sealed class SecretStore(string path)
{
    private readonly object _gate = new();
    private JsonObject? _values;

    public string GetOrCreate(string name, Func<string> generate)
    {
        lock (_gate)
        {
            _values ??= Load();
            if (_values[name]?.GetValue<string>() is { Length: > 0 } existing) return existing;
            var value = generate();
            _values[name] = value;
            Save(_values);
            return value;
        }
    }

    /// <summary>A random password of <paramref name="bytes"/> bytes, base64url: safe in URLs and connection strings.</summary>
    public static string NewPassword(int bytes = 24) => Base64Url(RandomNumberGenerator.GetBytes(bytes));

    /// <summary>A Web Push VAPID key pair (P-256): public key as the uncompressed point, private key as the scalar.</summary>
    public static (string PublicKey, string PrivateKey) NewVapidKeyPair()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var parameters = key.ExportParameters(includePrivateParameters: true);
        var point = new byte[65];
        point[0] = 0x04;
        parameters.Q.X!.CopyTo(point, 1);
        parameters.Q.Y!.CopyTo(point, 33);
        return (Base64Url(point), Base64Url(parameters.D!));
    }

    public static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private JsonObject Load()
    {
        if (!File.Exists(path)) return [];
        try
        {
            return JsonNode.Parse(File.ReadAllText(path)) as JsonObject
                ?? throw new InvalidOperationException($"{path} is not a JSON object.");
        }
        catch (JsonException e)
        {
            throw new InvalidOperationException($"{path} is damaged ({e.Message}); restore it from a backup.", e);
        }
    }

    private void Save(JsonObject values)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = path + ".tmp";
        using (var stream = new FileStream(temporary, new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        }))
        {
            JsonSerializer.Serialize(stream, values, new JsonSerializerOptions { WriteIndented = true });
        }
        File.Move(temporary, path, overwrite: true);
    }
}
