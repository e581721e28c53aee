using System.Net;
using System.Text.Json;

namespace Spokes.January.Tests;

/// <summary>
/// Issue 20's refusal list, end to end through GET /embed and GET /proxy: each address is refused, directly and as
/// the target of a redirect from an allowed page, and the loopback listeners standing in for the targets see no
/// connection.
/// </summary>
[Collection(JanuaryCollection.Name)]
public sealed class SsrfTests(JanuaryServer january)
{
    public static TheoryData<string, string> Refused()
    {
        var data = new TheoryData<string, string>();
        foreach (var route in new[] { "embed", "proxy" })
        foreach (var target in new[]
                 {
                     "http://127.0.0.1:{port}/", "http://[::1]:{port6}/", "http://169.254.169.254/latest/meta-data",
                     "http://100.64.0.1/", "http://2130706433:{port}/", "http://0x7f.1:{port}/", "http://[::ffff:127.0.0.1]:{port}/",
                     "http://loopback.example:{port}/", "http://localhost:{port}/",
                 })
            data.Add(route, target);
        return data;
    }

    private string Fill(string target) => target
        .Replace("{port}", january.Target.Port.ToString(), StringComparison.Ordinal)
        .Replace("{port6}", january.TargetV6.Port.ToString(), StringComparison.Ordinal);

    private async Task<(HttpStatusCode Status, string? Type)> AskAsync(string route, string url)
    {
        using var response = await january.Http.GetAsync($"{january.Url}/{route}?url={Uri.EscapeDataString(url)}");
        var body = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(body).RootElement.GetProperty("type").GetString());
    }

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task A_private_address_is_refused_and_never_connected_to(string route, string target)
    {
        january.Dns.Answer("loopback.example", IPAddress.Loopback);
        var (acceptedBefore, acceptedV6Before) = (january.Target.Accepted, january.TargetV6.Accepted);

        var (status, type) = await AskAsync(route, Fill(target));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("InvalidOperation", type);
        Assert.Equal(acceptedBefore, january.Target.Accepted);
        Assert.Equal(acceptedV6Before, january.TargetV6.Accepted);
    }

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task A_redirect_from_an_allowed_page_to_a_private_address_is_refused(string route, string target)
    {
        january.Dns.Answer("loopback.example", IPAddress.Loopback);
        var (acceptedBefore, acceptedV6Before) = (january.Target.Accepted, january.TargetV6.Accepted);

        var (status, type) = await AskAsync(route, january.Pages.Url("/to?target=" + Uri.EscapeDataString(Fill(target))));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("InvalidOperation", type);
        Assert.Equal(acceptedBefore, january.Target.Accepted);
        Assert.Equal(acceptedV6Before, january.TargetV6.Accepted);
    }

    [Theory]
    [InlineData("embed")]
    [InlineData("proxy")]
    public async Task A_name_whose_next_answer_is_loopback_is_dialled_at_the_address_that_was_checked(string route)
    {
        // The first answer is public (and unreachable from here); were the name looked up again to connect, the
        // second answer would reach the loopback listener on a port public addresses may use.
        var name = $"rebind-{route}.example";
        january.Dns.Answer(name, n => n == 1 ? [IPAddress.Parse("203.0.114.10")] : [IPAddress.Loopback]);
        var acceptedBefore = january.Target.Accepted;

        var (status, type) = await AskAsync(route, $"http://{name}:{january.Target.Port}/");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("ProxyError", type);
        Assert.Equal(acceptedBefore, january.Target.Accepted);
        Assert.Equal(1, january.Dns.QuestionsFor(name));
    }
}
