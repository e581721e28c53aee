using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Spokes.Autumn.Objects;
using Spokes.Autumn.Records;

namespace Spokes.Autumn.Files;

/// <summary>A file as served: its record, its object's record, and (for the original) its decrypted bytes.</summary>
public sealed record ServedFile(FileRecord File, StoredObject Object);

/// <summary>What <see cref="FileReader.PreviewAsync"/> gives: a WebP, or the original's address when there is no preview.</summary>
public sealed record Preview(byte[]? Webp, bool UseOriginal);

/// <summary>
/// Files for reading: only claimed, undeleted ones are served (Stoat answers 404 for the rest), decrypted on the way
/// out; previews are made on request and kept in a memory cache of bounded size.
/// </summary>
public sealed class FileReader(IFileRecordStore records, IObjectStore objects, FileEncryption encryption, IOptions<AutumnOptions> options)
    : IDisposable
{
    private readonly MemoryCache _previews = new(new MemoryCacheOptions { SizeLimit = Math.Max(1, options.Value.PreviewCacheBytes) });

    /// <summary>The file of <paramref name="tag"/> with <paramref name="id"/>, or NotFound; <paramref name="moderator"/> also sees deleted files.</summary>
    public async Task<ServedFile> FindAsync(FileTag tag, string id, bool moderator, CancellationToken cancellationToken)
    {
        var file = await records.GetFileAsync(id, cancellationToken);
        if (file is null || file.Tag != tag.Name || file.UsedFor is null || (file.Deleted && !moderator)) throw AutumnErrors.NotFound();
        var stored = await records.GetObjectAsync(file.Hash, cancellationToken) ?? throw AutumnErrors.NotFound();
        return new ServedFile(file, stored);
    }

    public async Task<byte[]> ReadAsync(StoredObject stored, CancellationToken cancellationToken)
    {
        var sealedBytes = await objects.GetAsync(stored.Hash, cancellationToken) ?? throw AutumnErrors.NotFound();
        return encryption.Decrypt(sealedBytes, stored.Nonce);
    }

    /// <summary>
    /// The tag's WebP preview; none for a file that is not an image, nor for an animation outside avatars and icons
    /// (their preview is its first frame).
    /// </summary>
    public async Task<Preview> PreviewAsync(ServedFile served, FileTag tag, CancellationToken cancellationToken)
    {
        if (!served.Object.Metadata.IsImage) return new Preview(null, UseOriginal: true);
        var key = (served.Object.Hash, tag.Name);
        if (_previews.TryGetValue(key, out Preview? cached)) return cached!;
        var original = await ReadAsync(served.Object, cancellationToken);
        var header = ImageProcessing.ReadHeader(original);
        var preview = header is null || (header.Animated && !tag.StillPreview)
            ? new Preview(null, UseOriginal: true)
            : new Preview(ImageProcessing.Preview(original, tag, options.Value.WebpQuality), UseOriginal: false);
        _previews.Set(key, preview, new MemoryCacheEntryOptions { Size = preview.Webp?.Length ?? 1, SlidingExpiration = TimeSpan.FromMinutes(30) });
        return preview;
    }

    public void Dispose() => _previews.Dispose();
}
