using System.Collections.Concurrent;

namespace Spokes.Api.Setup;

/// <summary>
/// The server's logo and icon: PNG, JPEG, GIF or WebP of at most 1 MiB, recognised by their first bytes (never by
/// the name or type the browser sent), kept in the data folder and served with the type they were recognised as.
/// </summary>
public sealed class Branding(SetupState state)
{
    public const long MaxBytes = 1024 * 1024;

    private static readonly (string Extension, string MediaType, byte[] Magic)[] Formats =
    [
        ("png", "image/png", [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]),
        ("jpg", "image/jpeg", [0xFF, 0xD8, 0xFF]),
        ("gif", "image/gif", "GIF8"u8.ToArray()),
    ];

    // Where there is no data folder (service tests), the images stay in memory.
    private readonly ConcurrentDictionary<string, byte[]> _memory = new();

    public static bool IsKind(string kind) => kind is "logo" or "icon";

    /// <summary>Stores the image and returns its file name, or throws with what is wrong with it.</summary>
    public async Task<string> SaveAsync(string kind, IFormFile file, CancellationToken cancellationToken)
    {
        if (file.Length is 0 or > MaxBytes) throw new SetupAnswerException($"The {kind} must be an image of at most 1 MiB.");
        using var buffer = new MemoryStream();
        await file.CopyToAsync(buffer, cancellationToken);
        var bytes = buffer.ToArray();
        var extension = Recognise(bytes) ?? throw new SetupAnswerException($"The {kind} must be a PNG, JPEG, GIF or WebP image.");
        var name = $"{kind}.{extension}";
        if (state.BrandingFolder is { } folder)
        {
            Directory.CreateDirectory(folder);
            await File.WriteAllBytesAsync(Path.Combine(folder, name), bytes, cancellationToken);
        }
        else
        {
            _memory[name] = bytes;
        }
        return name;
    }

    public async Task<(byte[] Bytes, string MediaType)?> ReadAsync(string? name, CancellationToken cancellationToken)
    {
        if (name is null) return null;
        var extension = Path.GetExtension(name).TrimStart('.');
        var mediaType = extension == "webp" ? "image/webp" : Formats.FirstOrDefault(f => f.Extension == extension).MediaType;
        if (mediaType is null) return null;
        if (state.BrandingFolder is { } folder)
        {
            var path = Path.Combine(folder, Path.GetFileName(name));
            return File.Exists(path) ? (await File.ReadAllBytesAsync(path, cancellationToken), mediaType) : null;
        }
        return _memory.TryGetValue(name, out var bytes) ? (bytes, mediaType) : null;
    }

    private static string? Recognise(ReadOnlySpan<byte> bytes)
    {
        foreach (var (extension, _, magic) in Formats)
            if (bytes.StartsWith(magic)) return extension;
        return bytes.Length > 12 && bytes[..4].SequenceEqual("RIFF"u8) && bytes[8..12].SequenceEqual("WEBP"u8) ? "webp" : null;
    }
}
