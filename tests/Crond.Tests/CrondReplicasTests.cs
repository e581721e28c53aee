using System.Collections.Concurrent;
using MassTransit;
using Microsoft.Data.Sqlite;
using Spokes.Contracts.Commands;
using Spokes.TestSupport;

namespace Spokes.Crond.Tests;

/// <summary>
/// Two Crond replicas and the Api as the AppHost runs them, on real Redis and RabbitMQ, with every job's interval
/// cut to two seconds; a listener of its own counts the commands.
/// </summary>
public sealed class CrondReplicasTests : IAsyncLifetime
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);
    private const string InternalKey = "crond-tests-internal-key";

    private readonly TemporaryFolder _folder = new("spokes-crond");
    private readonly RedisServer _redis = new();
    private readonly RabbitMqServer _rabbitmq = new();
    private readonly ConcurrentQueue<(string Job, long Period)> _commands = new();
    private readonly int _apiPort = Ports.Free();
    private LocalProgram _api = null!;
    private LocalProgram[] _replicas = [];
    private IBusControl _listener = null!;

    private string Database => Path.Combine(_folder.Path, "spokes.db");

    public async Task InitializeAsync()
    {
        await Task.WhenAll(_redis.InitializeAsync(), _rabbitmq.InitializeAsync());
        _api = LocalProgram.Service("api", "Spokes.Api", _apiPort, new()
        {
            ["ConnectionStrings__mongo"] = $"Data Source={Database}",
            ["ConnectionStrings__redis"] = _redis.ConnectionString,
            ["ConnectionStrings__rabbitmq"] = _rabbitmq.ConnectionString,
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{_apiPort}",
            ["Internal__Key"] = InternalKey,
            ["Api__PublicUrl"] = "http://127.0.0.1",
            ["Api__MasterPassword"] = "tests master password",
            ["Api__VapidPublicKey"] = "BExampleVapidKey",
        }, _folder.Path);
        await _api.StartAsync();

        _listener = Bus.Factory.CreateUsingRabbitMq(rabbit =>
        {
            rabbit.Host(new Uri(_rabbitmq.ConnectionString));
            rabbit.ReceiveEndpoint("crond-tests-counter", endpoint =>
            {
                Count<DeleteMarkedFiles>(endpoint, "file_deletion");
                Count<PruneDanglingFiles>(endpoint, "prune_dangling_files");
                Count<DeleteDueAccounts>(endpoint, "delete_accounts");
                Count<PruneExpiredMfaTickets>(endpoint, "prune_mfa_tickets");
            });
        });
        await _listener.StartAsync();
        _replicas = [Replica("crond-a"), Replica("crond-b")];
    }

    private void Count<T>(IRabbitMqReceiveEndpointConfigurator endpoint, string job) where T : class =>
        endpoint.Handler<T>(context =>
        {
            _commands.Enqueue((job, context.Headers.Get<long>(JobScheduler.PeriodHeader) ?? -1));
            return Task.CompletedTask;
        });

    private LocalProgram Replica(string name)
    {
        var port = Ports.Free();
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
            ["ConnectionStrings__redis"] = _redis.ConnectionString,
            ["ConnectionStrings__rabbitmq"] = _rabbitmq.ConnectionString,
        };
        foreach (var job in new[] { "file_deletion", "prune_dangling_files", "delete_accounts", "prune_mfa_tickets" })
            environment[$"Crond__Intervals__{job}"] = Interval.ToString();
        return LocalProgram.Service(name, "Spokes.Crond", port, environment, _folder.Path);
    }

    [Fact]
    public async Task Two_replicas_run_every_job_once_per_period_and_an_expired_MFA_ticket_goes()
    {
        var expired = Ulid.NewUlid(DateTimeOffset.UtcNow - TimeSpan.FromMinutes(6)).ToString();
        var fresh = Ulid.NewUlid().ToString();
        await InsertTicketAsync(expired);
        await InsertTicketAsync(fresh);

        // The first replica up may run a period's jobs while the second is still starting, under a loaded test run
        // more than a period later: the first period is bounded by when the starts began and when both were done.
        var starting = JobLease.PeriodOf(DateTimeOffset.UtcNow, Interval);
        await Task.WhenAll(_replicas.Select(r => r.StartAsync()));
        var started = JobLease.PeriodOf(DateTimeOffset.UtcNow, Interval);
        await Task.Delay(Interval * 5);
        var ended = JobLease.PeriodOf(DateTimeOffset.UtcNow, Interval);
        await Task.Delay(TimeSpan.FromSeconds(1));

        foreach (var job in new[] { "file_deletion", "prune_dangling_files", "delete_accounts", "prune_mfa_tickets" })
        {
            var periods = _commands.Where(c => c.Job == job).Select(c => c.Period).ToList();
            // Each period once: none twice, none skipped between the first and the last seen.
            Assert.Equal(periods.Distinct().Count(), periods.Count);
            Assert.Equal(periods.Count, (int)(periods.Max() - periods.Min() + 1));
            Assert.InRange(periods.Min(), starting, started + 1);
            Assert.True(periods.Max() >= ended - 1, $"{job} stopped at period {periods.Max()}; the test ended in {ended}");
        }
        Assert.False(await TicketExistsAsync(expired));
        Assert.True(await TicketExistsAsync(fresh));
    }

    private async Task InsertTicketAsync(string id)
    {
        await using var connection = new SqliteConnection($"Data Source={Database}");
        await connection.OpenAsync();
        var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO mfa_tickets (id, account_id, token, document) VALUES ($id, 'account', $token, $document)";
        command.Parameters.AddWithValue("$id", id);
        command.Parameters.AddWithValue("$token", "token-" + id);
        command.Parameters.AddWithValue("$document", $$"""{"_id":"{{id}}","account_id":"account","token":"token-{{id}}","validated":true,"authorised":false,"created_at":"2026-01-01T00:00:00+00:00"}""");
        await command.ExecuteNonQueryAsync();
    }

    private async Task<bool> TicketExistsAsync(string id)
    {
        await using var connection = new SqliteConnection($"Data Source={Database}");
        await connection.OpenAsync();
        var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM mfa_tickets WHERE id = $id";
        command.Parameters.AddWithValue("$id", id);
        return (long)(await command.ExecuteScalarAsync())! == 1;
    }

    public async Task DisposeAsync()
    {
        await Teardown.DisposeAsync(_replicas);
        if (_listener is not null) await _listener.StopAsync();
        await Teardown.DisposeAsync(_api);
        await _rabbitmq.DisposeAsync();
        await _redis.DisposeAsync();
        _folder.Dispose();
    }
}
