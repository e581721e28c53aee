using System.Collections.Concurrent;
using System.Net;
using MassTransit;
using Microsoft.AspNetCore.Mvc.Testing;
using Spokes.Contracts.IntegrationEvents;
using Spokes.TestSupport;

namespace Spokes.Api.Tests;

/// <summary>
/// Integration events survive RabbitMQ going away: messages sent or edited while the broker is down are stored
/// with their events, which reach consumers once it is back — each exactly once.
/// </summary>
public sealed class OutboxDurabilityTests : IAsyncLifetime
{
    private readonly RedisServer _redis = new();
    private readonly RabbitMqServer _rabbitmq = new();
    private readonly TemporaryFolder _data = new("spokes-outbox");
    private readonly ConcurrentDictionary<string, int> _delivered = new();
    private readonly ConcurrentQueue<MessageLinksPosted> _linksPosted = new();
    private WebApplicationFactory<Program> _api = null!;
    private IBusControl _consumer = null!;

    public async Task InitializeAsync()
    {
        await Task.WhenAll(_redis.InitializeAsync(), _rabbitmq.InitializeAsync());
        _api = ApiFixture.Create(_redis.ConnectionString, _rabbitmq.ConnectionString, _data.Path);
        _consumer = Bus.Factory.CreateUsingRabbitMq(rabbit =>
        {
            rabbit.Host(new Uri(_rabbitmq.ConnectionString));
            rabbit.ReceiveEndpoint("test-message-sent", endpoint => endpoint.Handler<MessageSent>(context =>
            {
                // What is counted is what the outbox published. A delivery whose ack the broker lost when it was
                // stopped comes again flagged as redelivered: that is the broker's at-least-once contract with
                // this consumer, not a second publish (which would arrive unflagged).
                if (!context.ReceiveContext.Redelivered) _delivered.AddOrUpdate(context.Message.MessageId, 1, (_, count) => count + 1);
                return Task.CompletedTask;
            }));
            rabbit.ReceiveEndpoint("test-links-posted", endpoint => endpoint.Handler<MessageLinksPosted>(context =>
            {
                _linksPosted.Enqueue(context.Message);
                return Task.CompletedTask;
            }));
        });
        await _consumer.StartAsync();
    }

    public async Task DisposeAsync()
    {
        if (_consumer is not null) await _consumer.StopAsync();
        await Teardown.DisposeAsync(_api);
        await Task.WhenAll(_redis.DisposeAsync(), _rabbitmq.DisposeAsync());
        _data.Dispose();
    }

    private async Task WaitForDeliveriesAsync(IReadOnlyCollection<string> messageIds, TimeSpan timeout)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!messageIds.All(_delivered.ContainsKey))
        {
            if (clock.Elapsed > timeout)
                throw new Xunit.Sdk.XunitException($"{messageIds.Count(id => !_delivered.ContainsKey(id))} of {messageIds.Count} MessageSent events never arrived");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task Messages_sent_while_RabbitMQ_is_down_are_delivered_once_it_is_back_each_exactly_once()
    {
        var author = await OnboardedUser.CreateAsync(_api, "durable");
        var created = await author.Client.PostAsync("/servers/create", "/servers/create", new { name = "Durable" });
        var channel = created.Body.GetProperty("channels")[0].GetProperty("_id").GetString()!;
        async Task<string> SendAsync(int i)
        {
            var reply = await author.Client.PostAsync($"/channels/{channel}/messages", "/channels/{target}/messages", new { content = $"message {i}" });
            Assert.Equal(HttpStatusCode.OK, reply.Status);
            return reply.Body.GetProperty("_id").GetString()!;
        }

        var sent = new List<string>();
        for (var i = 0; i < 5; i++) sent.Add(await SendAsync(i));
        await WaitForDeliveriesAsync(sent, TimeSpan.FromSeconds(30));

        await _rabbitmq.StopAsync();
        // Sending does not wait for the broker: every message is stored and answered while it is away.
        for (var i = 5; i < 25; i++) sent.Add(await SendAsync(i));
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.DoesNotContain(sent.Skip(5), _delivered.ContainsKey);
        await _rabbitmq.StartAgainAsync();

        await WaitForDeliveriesAsync(sent, TimeSpan.FromSeconds(120));
        // Give any duplicate time to arrive before counting.
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.All(sent, id => Assert.Equal(1, _delivered[id]));
        Assert.Equal(sent.Order(), _delivered.Keys.Where(sent.Contains).Order());
    }

    [Fact]
    public async Task The_links_of_a_message_edited_while_RabbitMQ_is_down_reach_January_once_it_is_back()
    {
        var author = await OnboardedUser.CreateAsync(_api, "editor");
        var created = await author.Client.PostAsync("/servers/create", "/servers/create", new { name = "Edits" });
        var channel = created.Body.GetProperty("channels")[0].GetProperty("_id").GetString()!;
        var sent = await author.Client.PostAsync($"/channels/{channel}/messages", "/channels/{target}/messages", new { content = "no links yet" });
        var id = sent.Body.GetProperty("_id").GetString()!;
        await WaitForDeliveriesAsync([id], TimeSpan.FromSeconds(30));

        await _rabbitmq.StopAsync();
        var edited = await author.Client.PatchAsync($"/channels/{channel}/messages/{id}", "/channels/{target}/messages/{msg}",
            new { content = "now https://b.example/" });
        Assert.Equal(HttpStatusCode.OK, edited.Status);
        await _rabbitmq.StartAgainAsync();

        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!_linksPosted.Any(p => p.MessageId == id))
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(120)) throw new Xunit.Sdk.XunitException("the edit's MessageLinksPosted never arrived");
            await Task.Delay(100);
        }
        Assert.Equal(["https://b.example/"], Assert.Single(_linksPosted, p => p.MessageId == id).Urls);
    }
}
