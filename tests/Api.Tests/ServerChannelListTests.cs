using System.Net;

namespace Spokes.Api.Tests;

/// <summary>A server's channel list as Stoat's clients follow it: they redraw it from <c>ServerUpdate</c>'s <c>channels</c>.</summary>
[Collection(nameof(ApiCollection))]
public sealed class ServerChannelListTests(ApiFixture api) : IAsyncLifetime
{
    private PublishedEvents _events = null!;

    public async Task InitializeAsync() => _events = await PublishedEvents.SubscribeAsync(api);

    public async Task DisposeAsync() => await _events.DisposeAsync();

    [Fact]
    public async Task A_new_channel_is_told_as_the_servers_new_channel_list_then_the_channel_itself()
    {
        var owner = await OnboardedUser.CreateAsync(api, "owner");
        var created = await owner.Client.PostAsync("/servers/create", "/servers/create", new { name = "Lists" });
        var server = created.Body.GetProperty("server").GetProperty("_id").GetString()!;
        var general = created.Body.GetProperty("channels")[0].GetProperty("_id").GetString()!;

        var channel = await owner.Client.PostAsync($"/servers/{server}/channels", "/servers/{server}/channels", new { name = "news" });
        Assert.Equal(HttpStatusCode.OK, channel.Status);
        var id = channel.Body.GetProperty("_id").GetString()!;

        await _events.WaitForAsync(server, "ChannelCreate", e => e.GetProperty("_id").GetString() == id);
        var told = _events.On(server).Where(e => e.GetProperty("type").GetString() is "ServerUpdate" or "ChannelCreate").ToList();
        Assert.Equal(["ServerUpdate", "ChannelCreate"], told.Select(e => e.GetProperty("type").GetString()));
        var update = told[0];
        Assert.Equal(server, update.GetProperty("id").GetString());
        Assert.Equal([general, id], update.GetProperty("data").GetProperty("channels").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal(0, update.GetProperty("clear").GetArrayLength());

        // Stoat tells a deletion by ChannelDelete alone (its clients drop the channel from every list themselves).
        Assert.Equal(HttpStatusCode.NoContent, (await owner.Client.DeleteAsync($"/channels/{id}", "/channels/{target}")).Status);
        await _events.WaitForAsync(id, "ChannelDelete", _ => true);
        var fetched = await owner.Client.GetAsync($"/servers/{server}", "/servers/{target}");
        Assert.Equal([general], fetched.Body.GetProperty("channels").EnumerateArray().Select(c => c.GetString()));
    }
}
