namespace Spokes.Contracts.Commands;

/// <summary>
/// Crond's <c>prune_dangling_files</c> task, sent to Autumn, which owns file records: mark deleted every file
/// uploaded more than an hour before <paramref name="IssuedAt"/> that nothing claimed. Safe to repeat.
/// </summary>
public sealed record PruneDanglingFiles(DateTimeOffset IssuedAt);

/// <summary>
/// Crond's <c>delete_files</c> task, sent to Autumn: remove the stored objects of deleted files once no record that
/// is not deleted (or is reported) references their hash, then the deleted records. Safe to repeat.
/// </summary>
public sealed record DeleteMarkedFiles(DateTimeOffset IssuedAt);
