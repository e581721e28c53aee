using MassTransit;
using Spokes.Contracts.Commands;
using Spokes.Contracts.IntegrationEvents;

namespace Spokes.January.Tests;

/// <summary>January's side of messages' embeds: MessageLinksPosted in, AppendMessageEmbeds out, over RabbitMQ.</summary>
[Collection(JanuaryCollection.Name)]
public sealed class MessageEmbedsTests(JanuaryServer january) : IAsyncLifetime
{
    private readonly TaskCompletionSource<AppendMessageEmbeds> _answer = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private IBusControl _api = null!;

    public async Task InitializeAsync()
    {
        _api = Bus.Factory.CreateUsingRabbitMq(rabbit =>
        {
            rabbit.Host(new Uri(january.RabbitMq.ConnectionString));
            rabbit.ReceiveEndpoint("test-append-message-embeds", endpoint => endpoint.Handler<AppendMessageEmbeds>(context =>
            {
                _answer.TrySetResult(context.Message);
                return Task.CompletedTask;
            }));
        });
        await _api.StartAsync();
    }

    public async Task DisposeAsync() => await _api.StopAsync();

    [Fact]
    public async Task The_links_of_a_message_come_back_as_embeds_leaving_out_those_that_show_nothing()
    {
        var posted = new MessageLinksPosted
        {
            MessageId = "01J0000000000000000000MSG1",
            ChannelId = "01J0000000000000000000CHN1",
            Urls = [january.Pages.Url("/opengraph"), january.Pages.Url("/text"), "http://127.0.0.1:1/", january.Pages.Url("/image.png")],
        };

        await _api.Publish(posted);
        var answer = await _answer.Task.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(posted.Id, answer.LinksEventId);
        Assert.Equal(posted.MessageId, answer.MessageId);
        Assert.Equal(posted.ChannelId, answer.ChannelId);
        Assert.Equal(["Website", "Image"], answer.Embeds.Select(e => System.Text.Json.JsonDocument.Parse(e).RootElement.GetProperty("type").GetString()));
    }
}
