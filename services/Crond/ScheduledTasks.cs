using MassTransit;
using Spokes.Contracts.Commands;

namespace Spokes.Crond;

/// <summary>
/// Stoat's crond timetable. Crond owns no data: each task is a command sent to the service that owns what it
/// touches, which also makes a task safe to run on several Crond replicas at once.
/// </summary>
public sealed class ScheduledTasks(IBus bus, IConfiguration configuration, TimeProvider clock, ILogger<ScheduledTasks> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = configuration.GetValue("Crond:DeleteAccountsInterval", TimeSpan.FromHours(1));
        using var timer = new PeriodicTimer(interval, clock);
        do
        {
            try
            {
                await bus.Publish(new DeleteDueAccounts(clock.GetUtcNow()), stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // RabbitMQ may be restarting: the next tick tries again, and nothing is lost by waiting.
                logger.LogWarning(e, "Could not send delete_accounts; trying again in {Interval}", interval);
            }
        } while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
