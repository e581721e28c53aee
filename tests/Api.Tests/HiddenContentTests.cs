using System.Net;

namespace Spokes.Api.Tests;

/// <summary>
/// A channel one cannot see tells nothing of its messages: acting on one that exists is answered as acting on
/// one that does not. And a search query the full-text index cannot read is a bad request, not a fault.
/// </summary>
[Collection(nameof(ApiCollection))]
public class HiddenContentTests(ApiFixture api)
{
    private const string Thumbs = "%F0%9F%91%8D";

    /// <summary>A message with a reaction in a server the outsider is not in, and an id no message has.</summary>
    private async Task<(OnboardedUser Outsider, string Channel, string Message, string Missing)> HiddenMessageAsync()
    {
        var owner = await OnboardedUser.CreateAsync(api, "hider");
        var outsider = await OnboardedUser.CreateAsync(api, "outsider");
        var created = await owner.Client.PostAsync("/servers/create", "/servers/create", new { name = "Private" });
        var channel = created.Body.GetProperty("channels")[0].GetProperty("_id").GetString()!;
        var sent = await owner.Client.PostAsync($"/channels/{channel}/messages", "/channels/{target}/messages", new { content = "not for you" });
        var message = sent.Body.GetProperty("_id").GetString()!;
        Assert.Equal(HttpStatusCode.NoContent, (await owner.Client.PutAsync($"/channels/{channel}/messages/{message}/reactions/{Thumbs}",
            "/channels/{target}/messages/{msg}/reactions/{emoji}")).Status);
        return (outsider, channel, message, Ulid.NewUlid().ToString());
    }

    private static (HttpStatusCode, string?) Answer(StoatSession.Reply reply) => (reply.Status, reply.ErrorType);

    [Fact]
    public async Task Removing_a_reaction_in_an_unseen_channel_is_refused_alike_for_any_message()
    {
        var (outsider, channel, message, missing) = await HiddenMessageAsync();
        Task<StoatSession.Reply> Unreact(string id, string query = "") => outsider.Client.DeleteAsync(
            $"/channels/{channel}/messages/{id}/reactions/{Thumbs}{query}", "/channels/{target}/messages/{msg}/reactions/{emoji}");

        foreach (var query in new[] { "", "?remove_all=true" })
        {
            var existing = await Unreact(message, query);
            Assert.Equal((HttpStatusCode.Forbidden, "MissingPermission"), Answer(existing));
            Assert.Equal(Answer(existing), Answer(await Unreact(missing, query)));
        }
    }

    [Fact]
    public async Task Reporting_a_message_of_an_unseen_channel_is_answered_as_an_unknown_message()
    {
        var (outsider, _, message, missing) = await HiddenMessageAsync();
        Task<StoatSession.Reply> Report(string id) => outsider.Client.PostAsync("/safety/report", "/safety/report",
            new { content = new { type = "Message", id, report_reason = "Harassment" } });

        var existing = await Report(message);
        Assert.Equal((HttpStatusCode.NotFound, "UnknownMessage"), Answer(existing));
        Assert.Equal(Answer(existing), Answer(await Report(missing)));
    }

    [Fact]
    public async Task Deleting_a_message_of_an_unseen_channel_is_refused_alike_for_any_message()
    {
        var (outsider, channel, message, missing) = await HiddenMessageAsync();
        Task<StoatSession.Reply> Delete(string id) => outsider.Client.DeleteAsync($"/channels/{channel}/messages/{id}", "/channels/{target}/messages/{msg}");

        var existing = await Delete(message);
        Assert.Equal((HttpStatusCode.Forbidden, "MissingPermission"), Answer(existing));
        Assert.Equal(Answer(existing), Answer(await Delete(missing)));
    }

    [Fact]
    public async Task A_search_for_a_NUL_character_is_a_bad_request()
    {
        var owner = await OnboardedUser.CreateAsync(api, "searcher");
        var created = await owner.Client.PostAsync("/servers/create", "/servers/create", new { name = "Search" });
        var channel = created.Body.GetProperty("channels")[0].GetProperty("_id").GetString()!;

        var reply = await owner.Client.PostAsync($"/channels/{channel}/search", "/channels/{target}/search", new { query = "a\0b" });
        Assert.Equal((HttpStatusCode.BadRequest, "FailedValidation"), Answer(reply));
    }
}
