using MassTransit;
using Spokes.Contracts.Commands;

namespace Spokes.Api.Identity;

/// <summary>Carries out due account deletions when Crond asks.</summary>
public sealed class DeleteDueAccountsConsumer(AccountClosureService closure, ILogger<DeleteDueAccountsConsumer> logger) : IConsumer<DeleteDueAccounts>
{
    public async Task Consume(ConsumeContext<DeleteDueAccounts> context)
    {
        var deleted = await closure.DeleteDueAsync(context.CancellationToken);
        if (deleted > 0) logger.LogInformation("Deleted {Count} accounts whose grace period ended", deleted);
    }
}
