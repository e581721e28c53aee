namespace Spokes.TunnelEdge.Ssh;

/// <summary>
/// The public keys that sign in to the SSH front door, each for a tunnel's token: a file in the edge's data folder
/// (<c>ssh-authorized-keys</c>), one key a line as <c>TOKEN TYPE BASE64 [comment]</c> — a token, then the key as
/// OpenSSH's <c>authorized_keys</c> writes it. Blank lines and <c>#</c> comments are skipped. It is read at each
/// sign-in, so keys are added and removed without a restart.
/// </summary>
public sealed class SshAuthorizedKeys(string path)
{
    public const string FileName = "ssh-authorized-keys";

    public string Path { get; } = path;

    /// <summary>The token a key (its SSH blob) was registered for; null when it is not registered.</summary>
    public string? TokenFor(ReadOnlySpan<byte> keyBlob)
    {
        if (!File.Exists(Path)) return null;
        foreach (var line in File.ReadLines(Path))
        {
            var fields = line.Split((char[]?)null, 4, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 3 || fields[0].StartsWith('#')) continue;
            var blob = new byte[fields[2].Length];
            if (!Convert.TryFromBase64String(fields[2], blob, out var length)) continue;
            if (keyBlob.SequenceEqual(blob.AsSpan(0, length)) && new SshReader(keyBlob).Text() == fields[1]) return fields[0];
        }
        return null;
    }
}
