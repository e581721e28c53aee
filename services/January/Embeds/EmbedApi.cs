using Spokes.January.Limits;

namespace Spokes.January.Embeds;

public static class EmbedApi
{
    public static IEndpointRouteBuilder MapEmbedApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/embed", Embed).WithName("january_embed").WithSummary("Generate the embed of a link")
            .AddEndpointFilter(new RequestLimitFilter("embed"));
        return app;
    }

    /// <summary>Stoat answers a link that shows nothing with <c>NoEmbedData</c> rather than an empty embed.</summary>
    private static async Task<IResult> Embed(string? url, EmbedService embeds, CancellationToken cancellationToken)
    {
        var embed = await embeds.GetAsync(url, cancellationToken);
        return embed is NoEmbed ? throw JanuaryException.NoEmbedData() : Results.Text(EmbedJson.Serialize(embed), "application/json");
    }
}
