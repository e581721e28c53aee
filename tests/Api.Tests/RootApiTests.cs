using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Spokes.TestSupport;

namespace Spokes.Api.Tests;

[Collection(nameof(ApiCollection))]
public class RootApiTests(ApiFixture api)
{
    [Fact]
    public async Task The_root_configuration_conforms_to_stoats_published_schema()
    {
        var response = await api.Factory.CreateClient().GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);

        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var openApi = await StoatOpenApi.LoadAsync();
        var schema = openApi.ResponseSchema("/", "get", 200);
        Assert.Equal("RevoltConfig", schema);
        Assert.Empty(openApi.Validate(body.RootElement, schema));
    }

    [Fact]
    public async Task The_root_configuration_is_built_from_the_public_url_and_settings()
    {
        using var body = JsonDocument.Parse(await api.Factory.CreateClient().GetStringAsync("/"));
        var root = body.RootElement;
        Assert.Equal("wss://chat.example.com/ws", root.GetProperty("ws").GetString());
        Assert.Equal("https://chat.example.com", root.GetProperty("app").GetString());
        Assert.Equal("BExampleVapidKey", root.GetProperty("vapid").GetString());
        var features = root.GetProperty("features");
        Assert.Equal("https://chat.example.com/autumn", features.GetProperty("autumn").GetProperty("url").GetString());
        Assert.Equal("https://chat.example.com/january", features.GetProperty("january").GetProperty("url").GetString());
        Assert.False(features.GetProperty("livekit").GetProperty("enabled").GetBoolean());
        Assert.Equal(20_000_000, features.GetProperty("limits").GetProperty("default").GetProperty("file_upload_size_limit").GetProperty("attachments").GetInt64());
        Assert.Equal(2000, features.GetProperty("limits").GetProperty("new_user").GetProperty("message_length").GetInt32());
    }

    [Fact]
    public async Task The_api_is_ready_once_its_backing_servers_answer()
    {
        var client = api.Factory.CreateClient();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        HttpStatusCode status;
        do
        {
            status = (await client.GetAsync("/health")).StatusCode;
            if (status == HttpStatusCode.OK) break;
            await Task.Delay(200);
        } while (clock.Elapsed < TimeSpan.FromSeconds(30));
        Assert.Equal(HttpStatusCode.OK, status);
    }

    [Fact]
    public void A_bad_public_url_stops_the_api_at_start_with_the_reason()
    {
        using var factory = api.Factory.WithWebHostBuilder(web => web.UseSetting("Api:PublicUrl", "chat.example.com"));
        var error = Assert.ThrowsAny<Exception>(() => factory.CreateClient());
        Assert.Contains("Api:PublicUrl must be an absolute http(s) URL", error.ToString());
    }
}
