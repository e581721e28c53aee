using MassTransit;
using Microsoft.Extensions.Options;
using Spokes.Contracts.Commands;
using Spokes.Contracts.IntegrationEvents;
using Spokes.January.Embeds;

namespace Spokes.January.Messages;

/// <summary>
/// Stoat's <c>process_embeds</c>, on January's side: the embeds of a message's links (at most
/// <see cref="JanuaryOptions.MessageEmbeds"/>, fetched side by side), sent back to the Api to append. Links that show
/// nothing or cannot be fetched are left out; a message none of whose links shows anything gets no answer.
/// </summary>
public sealed class MessageLinksPostedConsumer(EmbedService embeds, IOptions<JanuaryOptions> options, ILogger<MessageLinksPostedConsumer> logger)
    : IConsumer<MessageLinksPosted>
{
    public async Task Consume(ConsumeContext<MessageLinksPosted> context)
    {
        var posted = context.Message;
        var results = await Task.WhenAll(posted.Urls.Distinct().Take(options.Value.MessageEmbeds).Select(url => EmbedOrNothingAsync(url, context.CancellationToken)));
        var found = results.OfType<Embed>().Where(e => e is not NoEmbed).Select(EmbedJson.Serialize).ToList();
        if (found.Count == 0) return;
        await context.Publish(new AppendMessageEmbeds(posted.Id, posted.MessageId, posted.ChannelId, found), context.CancellationToken);
    }

    private async Task<Embed?> EmbedOrNothingAsync(string url, CancellationToken cancellationToken)
    {
        try
        {
            return await embeds.GetAsync(url, cancellationToken);
        }
        catch (JanuaryException e)
        {
            logger.LogInformation("No embed for a message's link: {Type}", e.Error.Type);
            return null;
        }
    }
}
