using System.Net;
using System.Net.Http.Headers;
using Spokes.Pushd.Delivery;
using Spokes.Pushd.Notifications;

namespace Spokes.Pushd.Tests;

public sealed class MessageMarkupTests
{
    private const string User = "01HZY0000000000000000USER1";
    private const string Channel = "01HZY000000000000000CHAN01";
    private const string Role = "01HZY0000000000000000ROLE1";
    private const string Emoji = "01HZY000000000000000EMOJI1";

    [Fact]
    public void References_of_every_kind_are_found()
    {
        var found = MessageMarkup.References($"hi <@{User}> see <#{Channel}>, <%{Role}> :{Emoji}: <@{User}>");

        Assert.Equal([User], found[ReferenceKind.User]);
        Assert.Equal([Channel], found[ReferenceKind.Channel]);
        Assert.Equal([Role], found[ReferenceKind.Role]);
        Assert.Equal([Emoji], found[ReferenceKind.Emoji]);
    }

    [Fact]
    public void Names_replace_references_as_Stoat_renders_them()
    {
        var names = new Dictionary<string, string> { [User] = "Alice", [Channel] = "general", [Role] = "Mods", [Emoji] = "party" };

        var rendered = MessageMarkup.Render($"hi <@{User}> see <#{Channel}>, <%{Role}> :{Emoji}:", (_, id) => names.GetValueOrDefault(id));

        Assert.Equal("hi @Alice see #general, %Mods :party:", rendered);
    }

    [Fact]
    public void Unknown_ids_read_as_Stoat_shows_them()
    {
        var rendered = MessageMarkup.Render($"<@{User}><#{Channel}><%{Role}>:{Emoji}:", (_, _) => null);

        Assert.Equal("@Unknown User#Unknown Channel%Unknown Role:Unknown Emoji:", rendered);
    }

    [Theory]
    [InlineData("<@short>")]
    [InlineData("<@01hzy0000000000000000user1>")]
    [InlineData("<!01HZY0000000000000000USER1>")]
    [InlineData("<@01HZY0000000000000000USER1")]
    [InlineData(":smile:")]
    [InlineData("")]
    public void Text_that_is_no_reference_stays_as_it_is(string text)
    {
        Assert.Equal(text, MessageMarkup.Render(text, (_, _) => "X"));
        Assert.All(MessageMarkup.References(text).Values, ids => Assert.Empty(ids));
    }

    [Fact]
    public void A_long_text_of_near_references_is_scanned_in_linear_time()
    {
        var text = string.Concat(Enumerable.Repeat("<@" + new string('A', 25) + ":", 20_000));
        var started = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal(text, MessageMarkup.Render(text, (_, _) => "X"));
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(1));
    }
}

public sealed class NotificationSettingsTests
{
    [Fact]
    public void Without_settings_DMs_and_groups_notify_of_everything_and_servers_of_mentions()
    {
        var settings = NotificationSettings.Parse(null);

        Assert.True(settings.Notifies("dm", null, mentioned: false));
        Assert.False(settings.Notifies("text", "server", mentioned: false));
        Assert.True(settings.Notifies("text", "server", mentioned: true));
    }

    [Fact]
    public void A_channel_mode_overrides_its_server_mode()
    {
        var settings = NotificationSettings.Parse("""{"server":{"s1":"muted"},"channel":{"c1":"all","c2":"mention","g1":"none"}}""");

        Assert.True(settings.Notifies("c1", "s1", mentioned: false));
        Assert.False(settings.Notifies("c3", "s1", mentioned: true));
        Assert.False(settings.Notifies("c2", null, mentioned: false));
        Assert.True(settings.Notifies("c2", null, mentioned: true));
        Assert.False(settings.Notifies("g1", null, mentioned: true));
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[1,2]")]
    [InlineData("""{"channel":{"c1":42}}""")]
    [InlineData("""{"channel":"muted"}""")]
    public void Settings_that_cannot_be_read_count_as_unset(string json)
    {
        var settings = NotificationSettings.Parse(json);

        Assert.True(settings.Notifies("c1", null, mentioned: false));
    }
}

public sealed class RetryPolicyTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.Parse("2026-12-07T00:00:00Z");

    [Theory]
    [InlineData(HttpStatusCode.TooManyRequests, true)]
    [InlineData(HttpStatusCode.ServiceUnavailable, true)]
    [InlineData(HttpStatusCode.InternalServerError, true)]
    [InlineData(HttpStatusCode.BadRequest, false)]
    [InlineData(HttpStatusCode.Gone, false)]
    [InlineData(HttpStatusCode.Unauthorized, false)]
    public void Only_rate_limits_and_server_errors_are_tried_again(HttpStatusCode status, bool transient) =>
        Assert.Equal(transient, RetryPolicy.IsTransient(status));

    [Fact]
    public void Backoff_doubles_and_ends_after_the_last_attempt()
    {
        var policy = new RetryPolicy(maxAttempts: 3, firstDelay: TimeSpan.FromSeconds(1));

        Assert.Equal(TimeSpan.FromSeconds(1), policy.DelayAfter(1, null, Now));
        Assert.Equal(TimeSpan.FromSeconds(2), policy.DelayAfter(2, null, Now));
        Assert.Null(policy.DelayAfter(3, null, Now));
    }

    [Fact]
    public void Retry_after_is_followed_unless_it_asks_for_too_long_a_wait()
    {
        var policy = new RetryPolicy(maxAttempts: 3, maxDelay: TimeSpan.FromSeconds(30));

        Assert.Equal(TimeSpan.FromSeconds(7), policy.DelayAfter(1, new RetryConditionHeaderValue(TimeSpan.FromSeconds(7)), Now));
        Assert.Equal(TimeSpan.FromSeconds(20), policy.DelayAfter(1, new RetryConditionHeaderValue(Now.AddSeconds(20)), Now));
        Assert.Null(policy.DelayAfter(1, new RetryConditionHeaderValue(TimeSpan.FromMinutes(5)), Now));
    }
}
