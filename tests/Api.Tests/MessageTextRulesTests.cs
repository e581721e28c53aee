using Spokes.Api.Messaging;

namespace Spokes.Api.Tests;

/// <summary>What a message's text mentions and which of its links January embeds, read without backtracking.</summary>
public class MessageTextRulesTests
{
    private const string User = "01ARZ3NDEKTSV4RRFFQ69G5FAV";
    private const string Role = "01BX5ZZKBKACTAV9WEVGEMMVRZ";

    [Theory]
    [InlineData("@everyone", true, false)]
    [InlineData("hi @online!", false, true)]
    [InlineData("@everyone @online", true, true)]
    [InlineData("line one\n@everyone", true, false)]
    [InlineData("(@everyone)", true, false)]
    [InlineData("mail@everyone.example", false, false)]
    [InlineData("`@everyone`", false, false)]
    [InlineData("@everyones", false, false)]
    [InlineData("@everyone@online", true, false)]
    [InlineData("_@everyone", false, false)]
    public void Mass_mentions_stand_alone(string content, bool everyone, bool online)
    {
        var mentions = MessageRules.FindMentions(content);
        Assert.Equal((everyone, online), (mentions.Everyone, mentions.Online));
    }

    [Fact]
    public void User_and_role_mentions_are_found_once_each()
    {
        var mentions = MessageRules.FindMentions($"<@{User}> <%{Role}> <@{User}> <@{User.ToLowerInvariant()}> <@{User}x>");
        Assert.Equal([User], mentions.Users);
        Assert.Equal([Role], mentions.Roles);
    }

    [Theory]
    [InlineData("see https://example.com/a.", "https://example.com/a")]
    [InlineData("(https://example.com/b)", "https://example.com/b")]
    [InlineData("<https://hidden.example> and http://b.example/x?y=1).", "http://b.example/x?y=1")]
    // The second address is part of the first link's path, which the bracket asked not to embed.
    [InlineData("<http://x.example/http://y.example", "")]
    [InlineData("\"https://q.example/\"", "https://q.example/")]
    [InlineData("xhttps://glued.example", "")]
    [InlineData("https://", "")]
    [InlineData("http://a.example,http://b.example", "http://a.example,http://b.example")]
    [InlineData("one http://a.example two https://b.example/ three http://a.example", "http://a.example|https://b.example/")]
    public void Links_to_embed_skip_bracketed_ones_and_trailing_punctuation(string content, string expected)
    {
        Assert.Equal(expected.Length == 0 ? [] : expected.Split('|'), MessageRules.FindLinks(content));
    }

    [Theory]
    [InlineData("`https://a.example` and https://b.example", "https://b.example")]
    [InlineData("```\nhttps://a.example\n``` https://b.example", "https://b.example")]
    [InlineData("``https://a.example`` https://b.example", "https://b.example")]
    [InlineData("> https://quoted.example\nhttps://b.example", "https://b.example")]
    [InlineData("not a quote > https://b.example", "https://b.example")]
    [InlineData("<https://a.example> <https://b.example> https://c.example", "https://c.example")]
    [InlineData("https://a.example/page#part and https://a.example/page#other", "https://a.example/page")]
    [InlineData("an unclosed `https://a.example", "https://a.example")]
    public void Links_in_code_quotes_and_brackets_are_not_embedded_and_fragments_are_dropped(string content, string expected)
    {
        Assert.Equal(expected.Length == 0 ? [] : expected.Split('|'), MessageRules.FindLinks(content));
    }

    [Fact]
    public void At_most_five_links_are_embedded()
    {
        var content = string.Join(' ', Enumerable.Range(1, 8).Select(i => $"https://{i}.example"));
        Assert.Equal(Enumerable.Range(1, 5).Select(i => $"https://{i}.example"), MessageRules.FindLinks(content));
    }
}
