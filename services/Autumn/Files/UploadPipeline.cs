using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Spokes.Autumn.Objects;
using Spokes.Autumn.Records;

namespace Spokes.Autumn.Files;

/// <summary>An upload as received: its bytes in a temporary file (deleted on dispose), their SHA-256 and the name the client gave.</summary>
public sealed class ReceivedFile(string path, long length, string hash, string filename) : IDisposable
{
    public string Path { get; } = path;
    public long Length { get; } = length;
    public string Hash { get; } = hash;
    public string Filename { get; } = filename;

    public void Dispose() => File.Delete(Path);
}

/// <summary>
/// Stoat's upload pipeline (crates/services/autumn/src/api.rs): size checks, SHA-256, the content type sniffed from
/// the bytes, metadata, images-only tags and pixel limits, then reuse of an object already stored with the same
/// hash, or metadata stripped, encrypted and stored. Nothing is recorded or stored until every check passed.
/// </summary>
public sealed class UploadPipeline(IOptions<AutumnOptions> options, IObjectStore objects, IFileRecordStore records, FileEncryption encryption,
    KeyedLocks locks, TimeProvider time)
{
    private const int CopyBuffer = 81920;

    private AutumnOptions Options => options.Value;

    /// <summary>The size limit of a tag.</summary>
    public long LimitOf(FileTag tag) => Options.SizeLimits.TryGetValue(tag.Name, out var limit) ? limit : 0;

    /// <summary>
    /// Copies an upload to a temporary file with a bounded buffer, hashing as it goes; refuses it (FileTooLarge) as
    /// soon as it passes <paramref name="limit"/> bytes, and an empty one (FileTooSmall).
    /// </summary>
    public static async Task<ReceivedFile> ReceiveAsync(Stream body, string filename, long limit, CancellationToken cancellationToken)
    {
        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"autumn-{Guid.NewGuid():N}.upload");
        try
        {
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long length = 0;
            await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, CopyBuffer, FileOptions.Asynchronous))
            {
                var buffer = new byte[CopyBuffer];
                int read;
                while ((read = await body.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    length += read;
                    if (length > limit) throw AutumnErrors.FileTooLarge(limit);
                    sha.AppendData(buffer, 0, read);
                    await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                }
            }
            if (length == 0) throw AutumnErrors.FileTooSmall();
            return new ReceivedFile(path, length, Convert.ToHexStringLower(sha.GetHashAndReset()), filename);
        }
        catch
        {
            File.Delete(path);
            throw;
        }
    }

    /// <summary>Checks, stores and records an upload by <paramref name="uploaderId"/>; returns the new file's id.</summary>
    public async Task<string> StoreAsync(ReceivedFile upload, FileTag tag, string uploaderId, CancellationToken cancellationToken)
    {
        var contentType = await SniffAsync(upload.Path, cancellationToken);
        if (Options.BlockedMimeTypes.Contains(contentType, StringComparer.OrdinalIgnoreCase)) throw AutumnErrors.FileTypeNotAllowed();

        var image = ImageProcessing.Types.Contains(contentType) ? ImageProcessing.ReadHeader(upload.Path) : null;
        if (tag.ImagesOnly && image is null) throw AutumnErrors.FileTypeNotAllowed();
        if (image is not null && !WithinPixelLimits(image)) throw AutumnErrors.FileTypeNotAllowed();

        var id = NewId(tag);
        using (await locks.AcquireAsync(upload.Hash, cancellationToken))
        {
            if (await records.GetObjectAsync(upload.Hash, cancellationToken) is null)
            {
                var (buffer, metadata) = await ProcessAsync(upload, contentType, image, cancellationToken);
                var nonce = encryption.SealInPlace(buffer);
                await objects.PutAsync(upload.Hash, buffer, cancellationToken);
                await records.AddObjectAsync(new StoredObject(upload.Hash, nonce, contentType, buffer.Length - FileEncryption.TagSize, metadata, time.GetUtcNow()),
                    cancellationToken);
            }
            await records.AddFileAsync(new FileRecord(id, tag.Name, upload.Filename, upload.Hash, uploaderId, time.GetUtcNow()), cancellationToken);
        }
        return id;
    }

    private bool WithinPixelLimits(ImageHeader image) =>
        image.Width <= Options.MaxImageSide && image.Height <= Options.MaxImageSide
        && (long)image.Width * image.Height <= Options.MaxImagePixels && image.Width > 0 && image.Height > 0;

    private static async Task<string> SniffAsync(string path, CancellationToken cancellationToken)
    {
        var head = new byte[MimeSniffer.HeadLength];
        await using var file = File.OpenRead(path);
        var length = await file.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, cancellationToken);
        return MimeSniffer.Sniff(head.AsSpan(0, length));
    }

    /// <summary>
    /// The bytes to store, in a buffer with room for the encryption tag at its end, and their metadata. Images are
    /// decoded in full (a truncated one is refused) and written anew without their metadata.
    /// </summary>
    private static async Task<(byte[] Buffer, FileMetadata Metadata)> ProcessAsync(ReceivedFile upload, string contentType, ImageHeader? image,
        CancellationToken cancellationToken)
    {
        if (image is not null)
        {
            var sanitised = ImageProcessing.Sanitise(upload.Path, contentType, image) ?? throw AutumnErrors.FileTypeNotAllowed();
            var buffer = new byte[sanitised.Data.Length + FileEncryption.TagSize];
            sanitised.Data.CopyTo(buffer, 0);
            return (buffer, FileMetadata.Image(sanitised.Header.Width, sanitised.Header.Height));
        }
        var data = new byte[upload.Length + FileEncryption.TagSize];
        await using (var file = File.OpenRead(upload.Path))
        {
            await file.ReadExactlyAsync(data.AsMemory(0, (int)upload.Length), cancellationToken);
        }
        if (contentType.StartsWith("video/", StringComparison.Ordinal))
        {
            return (data, await VideoProbe.SizeAsync(upload.Path, cancellationToken) is { } size ? new FileMetadata("Video", size.Width, size.Height) : FileMetadata.File);
        }
        if (contentType.StartsWith("audio/", StringComparison.Ordinal)) return (data, FileMetadata.Audio);
        return (data, contentType == "text/plain" ? FileMetadata.Text : FileMetadata.File);
    }

    // As Stoat: emoji ids are ULIDs (they become the emoji's id), other files 42 url-safe random characters.
    private static string NewId(FileTag tag) => tag.Name == "emojis" ? Ulid.NewUlid().ToString() : RandomNumberGenerator.GetString(IdAlphabet, 42);

    private const string IdAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
}
