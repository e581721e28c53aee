using Spokes.Autumn.Files;
using FileUseKind = Spokes.Contracts.Files.V1.FileUseKind;

namespace Spokes.Autumn.Records;

/// <summary>What uses a claimed file (Stoat's <c>used_for</c>): the kind of object, its id, and its server if any.</summary>
public sealed record FileUsage(FileUseKind Kind, string Id, string ServerId);

/// <summary>One upload (Stoat's <c>attachments</c> document): its own id, tag and name over a stored object.</summary>
public sealed record FileRecord(
    string Id, string Tag, string Filename, string Hash, string UploaderId, DateTimeOffset UploadedAt,
    FileUsage? UsedFor = null, bool Deleted = false, bool Reported = false);

/// <summary>
/// One stored object (Stoat's <c>attachment_hashes</c>): keyed by the SHA-256 of the upload, so the same bytes
/// uploaded twice are stored once; the nonce of its encryption and what was learnt from its bytes.
/// </summary>
public sealed record StoredObject(
    string Hash, string Nonce, string ContentType, long Size, FileMetadata Metadata, DateTimeOffset CreatedAt);

/// <summary>A claim's outcome: every file, in the order asked, or the first id that could not be claimed.</summary>
public sealed record ClaimOutcome(IReadOnlyList<FileRecord> Claimed, string? Refused);

/// <summary>Autumn's file records, in SQLite (local profile) or MongoDB; both answer the same contract tests.</summary>
public interface IFileRecordStore
{
    Task<StoredObject?> GetObjectAsync(string hash, CancellationToken cancellationToken);

    /// <summary>Records a stored object; recording one that exists already changes nothing.</summary>
    Task AddObjectAsync(StoredObject stored, CancellationToken cancellationToken);

    Task AddFileAsync(FileRecord file, CancellationToken cancellationToken);

    Task<FileRecord?> GetFileAsync(string id, CancellationToken cancellationToken);

    /// <summary>
    /// Claims all of <paramref name="ids"/> for <paramref name="usage"/> or none: each must exist, not be deleted or
    /// used, have <paramref name="tag"/> and <paramref name="uploaderId"/>, and appear once.
    /// </summary>
    Task<ClaimOutcome> ClaimAsync(IReadOnlyList<string> ids, string tag, string uploaderId, FileUsage usage, CancellationToken cancellationToken);

    /// <summary>Marks files deleted; unknown ids are ignored.</summary>
    Task ReleaseAsync(IReadOnlyList<string> ids, CancellationToken cancellationToken);

    Task MarkReportedAsync(IReadOnlyList<string> ids, CancellationToken cancellationToken);

    /// <summary>Marks deleted every unclaimed file uploaded before <paramref name="uploadedBefore"/>; returns how many.</summary>
    Task<int> DeleteUnclaimedAsync(DateTimeOffset uploadedBefore, CancellationToken cancellationToken);

    /// <summary>The objects no file uses any more: every file over them is deleted and none is reported.</summary>
    Task<IReadOnlyList<string>> UnusedObjectsAsync(CancellationToken cancellationToken);

    /// <summary>Forgets an object and its deleted files, if it is still unused; false when a file uses it again.</summary>
    Task<bool> ForgetObjectAsync(string hash, CancellationToken cancellationToken);
}
