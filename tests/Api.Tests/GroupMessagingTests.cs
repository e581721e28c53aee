using System.Net;

namespace Spokes.Api.Tests;

/// <summary>A group without granted permissions works like a DM for its members, as in Stoat.</summary>
[Collection(nameof(ApiCollection))]
public class GroupMessagingTests(ApiFixture api)
{
    [Fact]
    public async Task Every_member_of_a_new_group_may_write_and_react()
    {
        var owner = await OnboardedUser.CreateAsync(api, "groupowner");
        var friend = await OnboardedUser.CreateAsync(api, "groupfriend");
        await owner.Client.PostAsync("/users/friend", "/users/friend", new { username = friend.Tag });
        await friend.Client.PutAsync($"/users/{owner.Id}/friend", "/users/{target}/friend");
        var group = await owner.Client.PostAsync("/channels/create", "/channels/create", new { name = "Pair", users = new[] { friend.Id } });
        var channel = group.Body.GetProperty("_id").GetString()!;

        var sent = await friend.Client.PostAsync($"/channels/{channel}/messages", "/channels/{target}/messages", new { content = "hello, group" });
        Assert.True(sent.Status == HttpStatusCode.OK, $"send → {(int)sent.Status} {sent.Body}");
        var message = sent.Body.GetProperty("_id").GetString();
        Assert.Equal(HttpStatusCode.NoContent, (await friend.Client.PutAsync($"/channels/{channel}/messages/{message}/reactions/%F0%9F%91%8D",
            "/channels/{target}/messages/{msg}/reactions/{emoji}")).Status);
    }
}
