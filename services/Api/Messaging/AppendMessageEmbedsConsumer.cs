using System.Text.Json;
using MassTransit;
using Spokes.Api.Community;
using Spokes.Api.Events;
using Spokes.Api.Storage;
using Spokes.Contracts.Commands;
using StackExchange.Redis;

namespace Spokes.Api.Messaging;

/// <summary>
/// Stoat's <c>Message::append</c>: January's embeds for a message's links are added after the embeds it has, and its
/// channel is told with <c>MessageAppend</c>. An answer is applied once, however often it is delivered; one for a
/// message since deleted changes nothing.
/// </summary>
public sealed class AppendMessageEmbedsConsumer(IMessageStore messages, EventPublisher events, IConnectionMultiplexer redis,
    ILogger<AppendMessageEmbedsConsumer> logger) : IConsumer<AppendMessageEmbeds>
{
    private static readonly TimeSpan RememberedFor = TimeSpan.FromDays(1);

    public async Task Consume(ConsumeContext<AppendMessageEmbeds> context)
    {
        var append = context.Message;
        var embeds = Parse(append.Embeds);
        if (embeds.Count == 0) return;
        var applied = (RedisKey)$"embeds-appended:{append.LinksEventId}";
        if (!await redis.GetDatabase().StringSetAsync(applied, 1, RememberedFor, When.NotExists)) return;

        List<MessageEmbed> appended;
        try
        {
            appended = await OptimisticWrite.RetryAsync(async () =>
            {
                var message = await messages.GetAsync(append.ChannelId, append.MessageId, context.CancellationToken);
                if (message is null) return new List<MessageEmbed>();
                // Written over the content as read, so an edit meanwhile (which clears January's embeds) is read again.
                var update = new FieldUpdate().Set("embeds", (IReadOnlyList<MessageEmbed>)[.. message.Embeds ?? [], .. embeds]).Expect("content", message.Content);
                return await messages.UpdateAsync(append.ChannelId, append.MessageId, update, context.CancellationToken) ? embeds : null;
            });
        }
        catch
        {
            // Not applied: a redelivery must be able to try again.
            await redis.GetDatabase().KeyDeleteAsync(applied);
            throw;
        }
        if (appended.Count > 0)
            await events.PublishAsync(append.ChannelId, new MessageAppendEvent(append.MessageId, append.ChannelId, new MessageAppendEvent.Appended(appended)));
    }

    /// <summary>January's embeds, each checked to be an object tagged as January tags them; anything else is dropped.</summary>
    private List<MessageEmbed> Parse(IReadOnlyList<string> embeds)
    {
        var result = new List<MessageEmbed>();
        foreach (var json in embeds)
        {
            try
            {
                var element = JsonDocument.Parse(json).RootElement.Clone();
                if (element.ValueKind == JsonValueKind.Object && element.TryGetProperty("type", out var type)
                    && (type.ValueEquals("Website") || type.ValueEquals("Image") || type.ValueEquals("Video")))
                    result.Add(new RemoteEmbed(element));
            }
            catch (JsonException)
            {
                logger.LogWarning("An embed from January was not JSON and was dropped");
            }
        }
        return result;
    }
}
