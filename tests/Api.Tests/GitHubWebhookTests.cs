using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Spokes.Api.Errors;
using Spokes.Api.Messaging;

namespace Spokes.Api.Tests;

/// <summary>Stoat's GitHub webhook: GitHub's events told as embeds posted by the webhook.</summary>
[Collection(nameof(ApiCollection))]
public class GitHubWebhookTests(ApiFixture api)
{
    private static readonly object Sender = new { login = "octocat", avatar_url = "https://avatars.githubusercontent.com/u/1", html_url = "https://github.com/octocat" };
    private static readonly object Repository = new { full_name = "octo/spokes", html_url = "https://github.com/octo/spokes" };

    private static string Payload(object fields)
    {
        var payload = JsonSerializer.SerializeToNode(fields)!.AsObject();
        payload["sender"] = JsonSerializer.SerializeToNode(Sender);
        payload["repository"] = JsonSerializer.SerializeToNode(Repository);
        return payload.ToJsonString();
    }

    private static object Commit(string id, string message) =>
        new { id, message, url = $"https://github.com/octo/spokes/commit/{id}", author = new { name = "Mona" } };

    [Fact]
    public void A_push_lists_its_commits_by_short_id_and_first_line()
    {
        var embed = GitHubEventEmbed.From("push", Payload(new
        {
            @ref = "refs/heads/feature/embeds", forced = false, after = "0123456789abcdef", compare = "https://github.com/octo/spokes/compare/a...b",
            commits = new[] { Commit("aaaaaaaa11112222", "Tell pushes\n\nwith a body"), Commit("bbbbbbbb33334444", new string('x', 60)) },
        }))!;
        Assert.Equal(("octocat", "https://github.com/octocat", "https://avatars.githubusercontent.com/u/1", GitHubEventEmbed.Blue),
            (embed.Title, embed.Url, embed.IconUrl, embed.Colour));
        Assert.Equal(
            "#### [[octo/spokes:feature/embeds] 2 new commit](https://github.com/octo/spokes/compare/a...b)\n" +
            "[`aaaaaaaa`](https://github.com/octo/spokes/commit/aaaaaaaa11112222) Tell pushes... - Mona\n" +
            $"[`bbbbbbbb`](https://github.com/octo/spokes/commit/bbbbbbbb33334444) {new string('x', 47)}... - Mona",
            embed.Description);
    }

    [Fact]
    public void A_forced_push_an_opened_issue_and_a_reopened_pull_request_are_told_in_their_colours()
    {
        var forced = GitHubEventEmbed.From("push", Payload(new { @ref = "refs/heads/main", forced = true, after = "feedface00", compare = "https://c", commits = Array.Empty<object>() }))!;
        Assert.Equal(("#### [octo/spokes] Branch main was force-pushed to feedface\n[compare changes](https://c)", GitHubEventEmbed.Red), (forced.Description, forced.Colour));

        var opened = GitHubEventEmbed.From("issues", Payload(new
        {
            action = "opened", issue = new { number = 7, title = "Broken", html_url = "https://github.com/octo/spokes/issues/7", body = new string('b', 500) },
        }))!;
        Assert.Equal(($"#### [[octo/spokes] Issue Opened #7: Broken](https://github.com/octo/spokes/issues/7)\n{new string('b', 447)}...", GitHubEventEmbed.Orange),
            (opened.Description, opened.Colour));

        var reopened = GitHubEventEmbed.From("pull_request", Payload(new
        {
            action = "reopened", number = 9, pull_request = new { title = "Embeds", html_url = "https://github.com/octo/spokes/pull/9" },
        }))!;
        Assert.Equal(("#### [[octo/spokes] Pull Request Reopened #9: Embeds](https://github.com/octo/spokes/pull/9)", GitHubEventEmbed.Green),
            (reopened.Description, reopened.Colour));
    }

    [Fact]
    public void Pings_and_actions_Stoat_does_not_tell_make_no_message()
    {
        Assert.Null(GitHubEventEmbed.From("ping", Payload(new { zen = "Keep it logically awesome." })));
        Assert.Null(GitHubEventEmbed.From("star", Payload(new { action = "deleted" })));
        Assert.Null(GitHubEventEmbed.From("issues", Payload(new { action = "labeled" })));
        Assert.Null(GitHubEventEmbed.From("issue_comment", Payload(new { action = "deleted" })));
    }

    [Theory]
    [InlineData("deployment", "{}")]
    [InlineData("push", "not json")]
    [InlineData("push", "[]")]
    [InlineData("ping", "{\"zen\": \"no sender\"}")]
    public void Unknown_events_and_payloads_without_what_the_event_needs_are_refused(string eventName, string payload) =>
        Assert.Equal("InvalidOperation", Assert.Throws<StoatException>(() => GitHubEventEmbed.From(eventName, payload)).Type);

    [Fact]
    public void A_payload_missing_a_field_its_event_needs_is_refused() =>
        Assert.Equal("InvalidOperation", Assert.Throws<StoatException>(() => GitHubEventEmbed.From("issues", Payload(new { action = "closed" }))).Type);

    [Fact]
    public void Shortening_never_splits_a_surrogate_pair() =>
        Assert.Equal("ab...", GitHubEventEmbed.Shorten("ab😀cdef", 6));

    private HttpClient Enabled() => api.Factory.WithWebHostBuilder(web => web.UseSetting("Api:WebhooksEnabled", "true")).CreateClient();

    private static async Task<(HttpStatusCode Status, string Body)> DeliverAsync(HttpClient http, string path, string? eventName, string payload)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(payload, Encoding.UTF8, "application/json") };
        if (eventName is not null) request.Headers.Add("X-GitHub-Event", eventName);
        using var response = await http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static string? ErrorType(string body) => JsonDocument.Parse(body).RootElement.GetProperty("type").GetString();

    [Fact]
    public async Task A_delivery_posts_its_embed_as_the_webhook_and_a_bad_one_posts_nothing()
    {
        var owner = await OnboardedUser.CreateAsync(api, "githubowner");
        var http = Enabled();
        var client = new StoatSession(http) { Token = owner.Client.Token };
        var created = await client.PostAsync("/servers/create", "/servers/create", new { name = "Repo news" });
        var channel = created.Body.GetProperty("channels")[0].GetProperty("_id").GetString()!;
        var webhook = (await client.PostAsync($"/channels/{channel}/webhooks", "/channels/{target}/webhooks", new { name = "GitHub" })).Body;
        var path = $"/webhooks/{webhook.GetProperty("id").GetString()}/{webhook.GetProperty("token").GetString()}/github";
        async Task<int> CountAsync() => (await client.GetAsync($"/channels/{channel}/messages", "/channels/{target}/messages")).Body.GetArrayLength();
        var before = await CountAsync();

        var created1 = Payload(new { @ref = "v1.0", ref_type = "tag", master_branch = "main", pusher_type = "user" });
        var missingHeader = await DeliverAsync(http, path, null, created1);
        Assert.Equal((HttpStatusCode.BadRequest, "InvalidOperation"), (missingHeader.Status, ErrorType(missingHeader.Body)));
        var unknown = await DeliverAsync(http, path, "deployment", created1);
        Assert.Equal((HttpStatusCode.BadRequest, "InvalidOperation"), (unknown.Status, ErrorType(unknown.Body)));
        var wrongToken = await DeliverAsync(http, $"/webhooks/{webhook.GetProperty("id").GetString()}/not-the-token/github", "create", created1);
        Assert.Equal((HttpStatusCode.Unauthorized, "NotAuthenticated"), (wrongToken.Status, ErrorType(wrongToken.Body)));
        Assert.Equal(HttpStatusCode.OK, (await DeliverAsync(http, path, "ping", Payload(new { zen = "Design for failure." }))).Status);
        Assert.Equal(before, await CountAsync());

        var delivered = await DeliverAsync(http, path, "create", created1);
        Assert.Equal((HttpStatusCode.OK, ""), delivered);
        var message = (await client.GetAsync($"/channels/{channel}/messages?limit=1", "/channels/{target}/messages")).Body[0];
        Assert.Equal(webhook.GetProperty("id").GetString(), message.GetProperty("author").GetString());
        Assert.Equal("GitHub", message.GetProperty("webhook").GetProperty("name").GetString());
        var embed = message.GetProperty("embeds")[0];
        Assert.Equal(("Text", "octocat", "#### [octo/spokes] New tag created: v1.0", GitHubEventEmbed.Grey),
            (embed.GetProperty("type").GetString(), embed.GetProperty("title").GetString(), embed.GetProperty("description").GetString(),
                embed.GetProperty("colour").GetString()));
    }

    /// <summary>A delivery speaks as the webhook: one that may not send in its channel posts nothing.</summary>
    [Fact]
    public async Task A_webhook_without_send_permission_posts_nothing()
    {
        var owner = await OnboardedUser.CreateAsync(api, "githubmuted");
        var http = Enabled();
        var client = new StoatSession(http) { Token = owner.Client.Token };
        var created = await client.PostAsync("/servers/create", "/servers/create", new { name = "Muted news" });
        var channel = created.Body.GetProperty("channels")[0].GetProperty("_id").GetString()!;
        var webhook = (await client.PostAsync($"/channels/{channel}/webhooks", "/channels/{target}/webhooks", new { name = "GitHub" })).Body;
        var id = webhook.GetProperty("id").GetString()!;
        Assert.Equal(HttpStatusCode.OK, (await client.PatchAsync($"/webhooks/{id}", "/webhooks/{webhook_id}", new { permissions = 0 })).Status);
        async Task<int> CountAsync() => (await client.GetAsync($"/channels/{channel}/messages", "/channels/{target}/messages")).Body.GetArrayLength();
        var before = await CountAsync();

        var refused = await DeliverAsync(http, $"/webhooks/{id}/{webhook.GetProperty("token").GetString()}/github", "create",
            Payload(new { @ref = "v1.0", ref_type = "tag", master_branch = "main", pusher_type = "user" }));
        Assert.Equal((HttpStatusCode.Forbidden, "MissingPermission"), (refused.Status, ErrorType(refused.Body)));
        Assert.Equal(before, await CountAsync());
    }
}
