using System.Diagnostics;
using System.Net;
using Spokes.Api.Community;
using Spokes.Api.Errors;
using Spokes.Api.Messaging;

namespace Spokes.Api.Tests;

/// <summary>
/// Stoat's colour rule (RE_COLOUR in crates/core/models) for embeds, masquerades and roles: the colours it
/// accepts and refuses, and an answer in time linear in the input, whatever the input.
/// </summary>
[Collection(nameof(ApiCollection))]
public class ColourRuleTests(ApiFixture api)
{
    /// <summary>Spaces that <c>,[ ]*</c> and <c>[a-z ]+</c> can share in many ways, and a last character that fails the match.</summary>
    private static string Backtracking(int segments) => "linear-gradient(a" + string.Concat(Enumerable.Repeat(",   ", segments)) + ")!";

    private static bool Accepts(string colour)
    {
        try
        {
            MessageRules.RequireColour(colour, "colour");
            return true;
        }
        catch (StoatException e) when (e.Type == "FailedValidation")
        {
            return false;
        }
    }

    /// <summary>
    /// The fastest of three runs of a check once the rule is warm (a loaded machine may pause any one run), or
    /// null when they have not finished within a few seconds.
    /// </summary>
    private static async Task<TimeSpan?> TimeAsync(Action check)
    {
        Assert.True(Accepts("linear-gradient(red, blue)"));
        var checking = Task.Run(() => Enumerable.Range(0, 3).Select(_ =>
        {
            var clock = Stopwatch.StartNew();
            check();
            return clock.Elapsed;
        }).Min());
        return await Task.WhenAny(checking, Task.Delay(TimeSpan.FromSeconds(5))) == checking ? await checking : null;
    }

    [Theory]
    [InlineData("red", true)]
    [InlineData("Light Blue", true)]
    [InlineData("   ", true)]
    [InlineData("#fff", true)]
    [InlineData("#FFAA00cc", true)]
    [InlineData("rgb(1, 2, 3)", true)]
    [InlineData("rgba(1,2,3,50)", true)]
    [InlineData("var(--accent)", true)]
    [InlineData("var(--my-colour-2)", true)]
    [InlineData("var(---)", true)]
    [InlineData("linear-gradient(red, blue)", true)]
    [InlineData("LINEAR-GRADIENT(RED,BLUE)", true)]
    [InlineData("linear-gradient(90deg, red 10%, blue 100%)", true)]
    [InlineData("linear-gradient(red 0, blue 0)", true)]
    [InlineData("repeating-radial-gradient(#fff 0, #000, var(--a) 50%)", true)]
    [InlineData("conic-gradient(var(--a), rgb(1,2,3) 50%)", true)]
    [InlineData("linear-gradient(a,   ,   )", true)]
    [InlineData("linear-gradient(90deg in oklab, red, blue)", true)]
    [InlineData("linear-gradient(#fff in srgb-linear longer hue 10%, red)", true)]
    [InlineData("red!", false)]
    [InlineData("#", false)]
    [InlineData("#ggg", false)]
    [InlineData("hsl(120, 50%, 50%)", false)]
    [InlineData("rgb(1.5, 2, 3)", false)]
    [InlineData("var(--)", false)]
    [InlineData("var(--a b)", false)]
    [InlineData("url(x)", false)]
    [InlineData("red; background: url(x)", false)]
    [InlineData("linear-gradient(red)", false)]
    [InlineData("linear-gradient(90deg)", false)]
    [InlineData("linear-gradient(red, 90deg)", false)]
    [InlineData("linear-gradient(red 1000%, blue)", false)]
    [InlineData("linear-gradient(red 50, blue)", false)]
    [InlineData("linear-gradient(90deg in oklab shorter, blue)", false)]
    [InlineData("radial-gradient(red, blue", false)]
    [InlineData("sideways-gradient(red, blue)", false)]
    [InlineData("linear-gradient(a,   ,   )!", false)]
    public void Accepts_exactly_what_Stoat_accepts(string colour, bool accepted) => Assert.Equal(accepted, Accepts(colour));

    [Fact]
    public async Task The_longest_colour_built_to_backtrack_is_refused_at_once()
    {
        var colour = Backtracking(27);
        Assert.True(colour.Length <= 128, "within the length limit, so the pattern itself is checked");
        var took = await TimeAsync(() => Assert.False(Accepts(colour)));
        Assert.True(took < TimeSpan.FromMilliseconds(100), $"took {took?.TotalMilliseconds.ToString() ?? "more than 5000"} ms");
    }

    [Fact]
    public async Task A_colour_beyond_the_length_limit_is_still_checked_in_linear_time()
    {
        var took = await TimeAsync(() => Assert.False(CssColour.IsValid(Backtracking(40))));
        Assert.True(took < TimeSpan.FromMilliseconds(100), $"took {took?.TotalMilliseconds.ToString() ?? "more than 5000"} ms");
    }

    [Fact]
    public async Task Embeds_masquerades_and_roles_refuse_a_backtracking_colour_at_once()
    {
        var owner = await OnboardedUser.CreateAsync(api, "painter");
        var created = await owner.Client.PostAsync("/servers/create", "/servers/create", new { name = "Colours" });
        var server = created.Body.GetProperty("server").GetProperty("_id").GetString()!;
        var channel = created.Body.GetProperty("channels")[0].GetProperty("_id").GetString()!;
        var role = (await owner.Client.PostAsync($"/servers/{server}/roles", "/servers/{target}/roles", new { name = "Painted" })).Body.GetProperty("id").GetString()!;
        var colour = Backtracking(20);

        var clock = Stopwatch.StartNew();
        var replies = new[]
        {
            owner.Client.PostAsync($"/channels/{channel}/messages", "/channels/{target}/messages", new { embeds = new[] { new { title = "t", colour } } }),
            owner.Client.PostAsync($"/channels/{channel}/messages", "/channels/{target}/messages", new { content = "hi", masquerade = new { name = "M", colour } }),
            owner.Client.PatchAsync($"/servers/{server}/roles/{role}", "/servers/{target}/roles/{role_id}", new { colour }),
        };
        var finished = await Task.WhenAny(Task.WhenAll(replies), Task.Delay(TimeSpan.FromSeconds(10)));
        Assert.True(finished is Task<StoatSession.Reply[]>, $"still checking after {clock.Elapsed.TotalSeconds:F0} s");
        foreach (var reply in await Task.WhenAll(replies)) Assert.Equal((HttpStatusCode.BadRequest, "FailedValidation"), (reply.Status, reply.ErrorType));
    }
}
