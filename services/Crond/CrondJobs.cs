using Spokes.Contracts.Commands;

namespace Spokes.Crond;

/// <summary>One scheduled task: its name (Stoat's), how often it runs, and the command that asks its owner to do it.</summary>
public sealed record CrondJob(string Name, TimeSpan Interval, Func<DateTimeOffset, object> Command);

/// <summary>
/// Stoat's crond timetable, plus <c>prune_mfa_tickets</c>, which Stoat wrote but never scheduled. Crond owns no data:
/// each task is a command to the service that owns what it touches. Intervals are Stoat's unless
/// <c>Crond:Intervals:NAME</c> says otherwise.
/// </summary>
public static class CrondJobs
{
    public static IReadOnlyList<CrondJob> From(IConfiguration configuration)
    {
        TimeSpan Interval(string name, TimeSpan stoat) => configuration.GetValue($"Crond:Intervals:{name}", stoat);
        return
        [
            new("file_deletion", Interval("file_deletion", TimeSpan.FromSeconds(60)), at => new DeleteMarkedFiles(at)),
            new("prune_dangling_files", Interval("prune_dangling_files", TimeSpan.FromSeconds(60)), at => new PruneDanglingFiles(at)),
            new("delete_accounts", Interval("delete_accounts", TimeSpan.FromHours(1)), at => new DeleteDueAccounts(at)),
            new("prune_mfa_tickets", Interval("prune_mfa_tickets", TimeSpan.FromMinutes(5)), at => new PruneExpiredMfaTickets(at)),
        ];
    }
}
