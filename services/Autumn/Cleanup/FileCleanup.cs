using MassTransit;
using Spokes.Autumn.Files;
using Spokes.Autumn.Objects;
using Spokes.Autumn.Records;
using Spokes.Contracts.Commands;

namespace Spokes.Autumn.Cleanup;

/// <summary>Crond's file tasks, done by Autumn because it owns the records: both are safe to repeat.</summary>
public sealed class FileCleanup(IFileRecordStore records, IObjectStore objects, KeyedLocks locks)
{
    /// <summary>How long an upload may wait for its claim, as Stoat's crond.</summary>
    public static readonly TimeSpan ClaimWindow = TimeSpan.FromHours(1);

    public Task<int> PruneDanglingAsync(DateTimeOffset issuedAt, CancellationToken cancellationToken) =>
        records.DeleteUnclaimedAsync(issuedAt - ClaimWindow, cancellationToken);

    /// <summary>Removes every object no live or reported file uses; returns how many.</summary>
    public async Task<int> DeleteMarkedAsync(CancellationToken cancellationToken)
    {
        var removed = 0;
        foreach (var hash in await records.UnusedObjectsAsync(cancellationToken))
        {
            // Under the object's lock an upload cannot reuse it between the check and the removal.
            using (await locks.AcquireAsync(hash, cancellationToken))
            {
                if (!await records.ForgetObjectAsync(hash, cancellationToken)) continue;
                await objects.DeleteAsync(hash, cancellationToken);
                removed++;
            }
        }
        return removed;
    }
}

public sealed class PruneDanglingFilesConsumer(FileCleanup cleanup, ILogger<PruneDanglingFilesConsumer> logger) : IConsumer<PruneDanglingFiles>
{
    public async Task Consume(ConsumeContext<PruneDanglingFiles> context)
    {
        var count = await cleanup.PruneDanglingAsync(context.Message.IssuedAt, context.CancellationToken);
        logger.LogInformation("Marked {Count} unclaimed files deleted", count);
    }
}

public sealed class DeleteMarkedFilesConsumer(FileCleanup cleanup, ILogger<DeleteMarkedFilesConsumer> logger) : IConsumer<DeleteMarkedFiles>
{
    public async Task Consume(ConsumeContext<DeleteMarkedFiles> context)
    {
        var count = await cleanup.DeleteMarkedAsync(context.CancellationToken);
        logger.LogInformation("Removed {Count} unused file objects", count);
    }
}
