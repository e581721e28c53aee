using Spokes.Api.Storage;
using Spokes.Contracts.Files.V1;

namespace Spokes.Api.Files;

/// <summary>
/// Autumn's file claims: the Api claims an uploaded file when something starts to use it and releases it when that
/// use ends (see files.proto). Autumn owns the file records; the Api keeps only the copy of each file it claimed.
/// </summary>
public interface IFileClaims
{
    /// <summary>
    /// Claims every one of <paramref name="ids"/> for <paramref name="use"/>, or none: an id that is unknown, used,
    /// uploaded by someone other than <paramref name="uploaderId"/> or not of <paramref name="tag"/> throws
    /// <c>UnknownAttachment</c>. The files come back in the order of <paramref name="ids"/>.
    /// </summary>
    Task<IReadOnlyList<AutumnFile>> ClaimAsync(IReadOnlyList<string> ids, string tag, string uploaderId, FileUse use, CancellationToken cancellationToken);

    /// <summary>Marks files deleted because their use ended; unknown and already released ids are ignored.</summary>
    Task ReleaseAsync(IReadOnlyCollection<string> ids, CancellationToken cancellationToken);

    /// <summary>Keeps files as evidence of a safety report.</summary>
    Task MarkReportedAsync(IReadOnlyCollection<string> ids, CancellationToken cancellationToken);

    /// <summary>
    /// Hands Autumn a file of the instance's own (<see cref="FileUseKind.InstanceLogo"/> or
    /// <see cref="FileUseKind.InstanceIcon"/>), which it checks, stores and claims at once. A file Autumn refuses
    /// throws <see cref="FileRefusedException"/>; no Autumn to reach throws <see cref="FileServerUnavailableException"/>.
    /// </summary>
    Task<AutumnFile> StoreAsync(FileUse use, string filename, ReadOnlyMemory<byte> data, CancellationToken cancellationToken);
}

/// <summary>Autumn refused a file: Stoat's error type (<c>FileTooSmall</c>, <c>FileTooLarge</c>, <c>FileTypeNotAllowed</c>) and, when too large, the limit.</summary>
public sealed class FileRefusedException(string type, long? max) : Exception(type)
{
    public string Type { get; } = type;
    public long? Max { get; } = max;
}

/// <summary>Autumn cannot be reached (not configured, or not answering).</summary>
public sealed class FileServerUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Autumn's tags, as Stoat names them: which uses a file uploaded under each may have.</summary>
public static class FileTags
{
    public const string Attachments = "attachments";
    public const string Avatars = "avatars";
    public const string Backgrounds = "backgrounds";
    public const string Icons = "icons";
    public const string Banners = "banners";
    public const string Emojis = "emojis";
}

public static class FileClaimsExtensions
{
    /// <summary>Claims the one file <paramref name="id"/> for <paramref name="use"/>.</summary>
    public static async Task<AutumnFile> ClaimOneAsync(this IFileClaims files, string id, string tag, string uploaderId, FileUse use,
        CancellationToken cancellationToken) =>
        (await files.ClaimAsync([id], tag, uploaderId, use, cancellationToken))[0];

    /// <summary>
    /// Runs <paramref name="next"/>, the next step after <paramref name="claimed"/> were claimed (another claim, or the
    /// write that stores them); if it fails, the files are released again, so a file is never left claimed by
    /// something that was not written.
    /// </summary>
    public static async Task<T> ReleaseIfFailsAsync<T>(this IFileClaims files, IReadOnlyCollection<AutumnFile> claimed, Func<Task<T>> next)
    {
        try
        {
            return await next();
        }
        catch when (claimed.Count > 0)
        {
            await files.ReleaseAsync(claimed.Select(f => f.Id).ToList(), CancellationToken.None);
            throw;
        }
    }

    /// <summary>Releases the files that are no longer used, if any.</summary>
    public static Task ReleaseAsync(this IFileClaims files, IEnumerable<AutumnFile?> released, CancellationToken cancellationToken) =>
        released.OfType<AutumnFile>().Select(f => f.Id).ToList() is { Count: > 0 } ids ? files.ReleaseAsync(ids, cancellationToken) : Task.CompletedTask;
}
