using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using MassTransit;
using Microsoft.AspNetCore.Mvc.Testing;
using Spokes.Contracts.Commands;
using Spokes.Contracts.IntegrationEvents;
using Spokes.TestSupport;
using StackExchange.Redis;

namespace Spokes.Api.Tests;

/// <summary>
/// The Api's side of link embeds: a message's links go to January as <c>MessageLinksPosted</c> (on send and on an
/// edit of its text), and January's <c>AppendMessageEmbeds</c> is stored and told to the channel as
/// <c>MessageAppend</c> — here with a test bus standing in for January.
/// </summary>
public sealed class MessageEmbedTests : IAsyncLifetime
{
    private const string Website = """{"type":"Website","url":"https://a.example/","original_url":"https://a.example/","title":"A page"}""";

    private readonly RedisServer _redis = new();
    private readonly RabbitMqServer _rabbitmq = new();
    private readonly TemporaryFolder _data = new("spokes-embeds");
    private readonly ConcurrentQueue<MessageLinksPosted> _posted = new();
    private WebApplicationFactory<Program> _api = null!;
    private IBusControl _january = null!;
    private ConnectionMultiplexer _events = null!;
    private readonly ConcurrentQueue<(string Topic, JsonElement Event)> _published = new();

    public async Task InitializeAsync()
    {
        await Task.WhenAll(_redis.InitializeAsync(), _rabbitmq.InitializeAsync());
        _api = ApiFixture.Create(_redis.ConnectionString, _rabbitmq.ConnectionString, _data.Path);
        _january = Bus.Factory.CreateUsingRabbitMq(rabbit =>
        {
            rabbit.Host(new Uri(_rabbitmq.ConnectionString));
            rabbit.ReceiveEndpoint("test-links-posted", endpoint => endpoint.Handler<MessageLinksPosted>(context =>
            {
                _posted.Enqueue(context.Message);
                return Task.CompletedTask;
            }));
        });
        await _january.StartAsync();
        _events = await ConnectionMultiplexer.ConnectAsync(_redis.ConnectionString);
        (await _events.GetSubscriber().SubscribeAsync(RedisChannel.Pattern("*"))).OnMessage(message =>
            _published.Enqueue((message.Channel.ToString(), JsonDocument.Parse(message.Message.ToString()).RootElement.Clone())));
    }

    public async Task DisposeAsync()
    {
        await Teardown.DisposeAsync(_events);
        if (_january is not null) await _january.StopAsync();
        await Teardown.DisposeAsync(_api);
        await Task.WhenAll(_redis.DisposeAsync(), _rabbitmq.DisposeAsync());
        _data.Dispose();
    }

    private static async Task<T> EventuallyAsync<T>(Func<T?> probe, string what) where T : class
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(15))
        {
            if (probe() is { } found) return found;
            await Task.Delay(50);
        }
        throw new Xunit.Sdk.XunitException($"{what} never came");
    }

    private sealed record Published(JsonElement Event);

    private List<Published> AppendsOn(string channel) =>
        _published.Where(e => e.Topic == channel && e.Event.GetProperty("type").GetString() == "MessageAppend").Select(e => new Published(e.Event)).ToList();

    private async Task<(OnboardedUser Author, string Channel)> ChannelAsync()
    {
        var author = await OnboardedUser.CreateAsync(_api, "linker");
        var created = await author.Client.PostAsync("/servers/create", "/servers/create", new { name = "Links" });
        return (author, created.Body.GetProperty("channels")[0].GetProperty("_id").GetString()!);
    }

    [Fact]
    public async Task January_s_embeds_are_appended_to_the_message_and_told_with_MessageAppend_once()
    {
        var (author, channel) = await ChannelAsync();
        var sent = await author.Client.PostAsync($"/channels/{channel}/messages", "/channels/{target}/messages",
            new { content = "look https://a.example/ and `https://code.example/`" });
        var id = sent.Body.GetProperty("_id").GetString()!;

        var posted = await EventuallyAsync(() => _posted.FirstOrDefault(p => p.MessageId == id), "MessageLinksPosted");
        Assert.Equal(["https://a.example/"], posted.Urls);
        var answer = new AppendMessageEmbeds(posted.Id, id, channel, [Website, """{"type":"Text","title":"forged"}""", "not json"]);
        await _january.Publish(answer);
        await _january.Publish(answer);

        var appended = (await EventuallyAsync(() => AppendsOn(channel).FirstOrDefault(), "MessageAppend")).Event;
        Assert.Equal(id, appended.GetProperty("id").GetString());
        var embed = Assert.Single(appended.GetProperty("append").GetProperty("embeds").EnumerateArray());
        Assert.Equal("A page", embed.GetProperty("title").GetString());
        var stored = await author.Client.GetAsync($"/channels/{channel}/messages/{id}", "/channels/{target}/messages/{msg}");
        Assert.Equal(HttpStatusCode.OK, stored.Status);
        Assert.Equal("Website", Assert.Single(stored.Body.GetProperty("embeds").EnumerateArray()).GetProperty("type").GetString());
        await Task.Delay(500);
        Assert.Single(AppendsOn(channel));
    }

    [Fact]
    public async Task An_edit_of_the_text_drops_January_s_embeds_and_asks_for_the_new_links()
    {
        var (author, channel) = await ChannelAsync();
        var sent = await author.Client.PostAsync($"/channels/{channel}/messages", "/channels/{target}/messages", new { content = "https://a.example/" });
        var id = sent.Body.GetProperty("_id").GetString()!;
        var posted = await EventuallyAsync(() => _posted.FirstOrDefault(p => p.MessageId == id), "MessageLinksPosted");
        await _january.Publish(new AppendMessageEmbeds(posted.Id, id, channel, [Website]));
        await EventuallyAsync(() => AppendsOn(channel).FirstOrDefault(), "MessageAppend");

        var edited = await author.Client.PatchAsync($"/channels/{channel}/messages/{id}", "/channels/{target}/messages/{msg}", new { content = "now https://b.example/" });

        Assert.Equal(HttpStatusCode.OK, edited.Status);
        Assert.False(edited.Body.TryGetProperty("embeds", out _));
        var again = await EventuallyAsync(() => _posted.FirstOrDefault(p => p.MessageId == id && p.Id != posted.Id), "MessageLinksPosted of the edit");
        Assert.Equal(["https://b.example/"], again.Urls);
    }
}
