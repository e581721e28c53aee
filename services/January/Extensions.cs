using Spokes.Egress;
using Spokes.January.Embeds;
using Spokes.January.Fetching;
using Spokes.January.Media;
using Spokes.January.Messages;

namespace Spokes.January;

public static class JanuaryExtensions
{
    public static IHostApplicationBuilder AddJanuaryServices(this IHostApplicationBuilder builder)
    {
        builder.Services.Configure<JanuaryOptions>(builder.Configuration.GetSection(JanuaryOptions.SectionName));
        builder.Services.ConfigureHttpJsonOptions(options => EmbedJson.Configure(options.SerializerOptions));
        builder.Services.AddEgressHttpClient(RemoteFetcher.ClientName);
        builder.Services.AddSingleton<RemoteFetcher>();
        builder.Services.AddSingleton<EmbedGenerator>();
        builder.Services.AddSingleton<EmbedCache>();
        builder.Services.AddSingleton<EmbedService>();
        builder.Services.AddSingleton<ProxyCache>();
        // Messages' links arrive over RabbitMQ, and their embeds go back to the Api the same way.
        builder.AddMessageBus("rabbitmq", bus => bus.AddConsumer<MessageLinksPostedConsumer>());
        return builder;
    }
}
