using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Spokes.Api.Messaging;
using Spokes.Api.Storage;
using Spokes.Contracts.IntegrationEvents;

namespace Spokes.Api.Tests.Messaging;

/// <summary>The relay publishes what waits in the outbox without taking the store's writer once per entry.</summary>
public sealed class OutboxRelayTests
{
    /// <summary>An outbox in memory that records each write that completes entries.</summary>
    private sealed class RecordingOutbox(IEnumerable<OutboxEntry> entries) : IOutboxStore
    {
        private readonly List<OutboxEntry> _pending = [.. entries];

        public List<IReadOnlyCollection<Guid>> Completions { get; } = [];

        public Task<IReadOnlyList<OutboxEntry>> PendingAsync(int limit, CancellationToken cancellationToken = default)
        {
            lock (_pending) return Task.FromResult<IReadOnlyList<OutboxEntry>>(_pending.Take(limit).ToList());
        }

        public Task CompleteAsync(IReadOnlyCollection<Guid> ids, CancellationToken cancellationToken = default)
        {
            lock (_pending)
            {
                Completions.Add([.. ids]);
                _pending.RemoveAll(e => ids.Contains(e.Id));
            }
            return Task.CompletedTask;
        }

        public bool IsEmpty
        {
            get { lock (_pending) return _pending.Count == 0; }
        }
    }

    [Fact]
    public async Task A_batch_of_confirmed_entries_leaves_the_outbox_in_one_write()
    {
        var events = Enumerable.Range(0, 5).Select(i => new NotificationRequested { UserId = $"user{i}", Title = "t", Body = "b" }).ToList();
        var outbox = new RecordingOutbox(events.Select(Outbox.Entry));
        var published = new List<Guid>();
        var bus = Bus.Factory.CreateUsingInMemory(configure => configure.ReceiveEndpoint("relay-test", endpoint =>
            endpoint.Handler<NotificationRequested>(context =>
            {
                lock (published) published.Add(context.Message.Id);
                return Task.CompletedTask;
            })));
        await bus.StartAsync();
        using var services = new ServiceCollection().AddSingleton<IBus>(bus).BuildServiceProvider();
        var relay = new OutboxRelay(services, outbox, new OutboxSignal(), NullLogger<OutboxRelay>.Instance);
        try
        {
            await relay.StartAsync(CancellationToken.None);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (!outbox.IsEmpty && clock.Elapsed < TimeSpan.FromSeconds(30)) await Task.Delay(20);
        }
        finally
        {
            await relay.StopAsync(CancellationToken.None);
        }

        var completion = Assert.Single(outbox.Completions);
        Assert.Equal(events.Select(e => e.Id).Order(), completion.Order());
        var clockDelivered = System.Diagnostics.Stopwatch.StartNew();
        while (published.Count < events.Count && clockDelivered.Elapsed < TimeSpan.FromSeconds(10)) await Task.Delay(20);
        lock (published) Assert.Equal(events.Select(e => e.Id).Order(), published.Order());
        await bus.StopAsync();
    }
}
