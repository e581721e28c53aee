using System.Text.Json;
using Microsoft.AspNetCore.Hosting;

namespace Spokes.Api.Tests;

/// <summary>The root document advertises Autumn and January only when the operator says they answer.</summary>
[Collection(nameof(ApiCollection))]
public class AdvertisedServicesTests(ApiFixture api)
{
    private static async Task<JsonElement> FeaturesAsync(HttpClient client)
    {
        using var body = JsonDocument.Parse(await client.GetStringAsync("/"));
        return body.RootElement.GetProperty("features").Clone();
    }

    [Fact]
    public async Task Files_and_embeds_are_off_until_the_operator_turns_them_on()
    {
        var features = await FeaturesAsync(api.Factory.CreateClient());
        Assert.False(features.GetProperty("autumn").GetProperty("enabled").GetBoolean());
        Assert.False(features.GetProperty("january").GetProperty("enabled").GetBoolean());
        // Clients still learn where the services will be.
        Assert.Equal("https://chat.example.com/autumn", features.GetProperty("autumn").GetProperty("url").GetString());

        var on = await FeaturesAsync(api.Factory.WithWebHostBuilder(web => web
            .UseSetting("Api:AutumnEnabled", "true").UseSetting("Api:JanuaryEnabled", "true")).CreateClient());
        Assert.True(on.GetProperty("autumn").GetProperty("enabled").GetBoolean());
        Assert.True(on.GetProperty("january").GetProperty("enabled").GetBoolean());
    }
}
