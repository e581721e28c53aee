using System.Net;
using Microsoft.Playwright;
using Spokes.Contracts.Tunnels.V1;
using Spokes.TestSupport;

namespace Spokes.TunnelEdge.Tests;

/// <summary>The operator's page on listen.dashboard, in Debian's Chromium driven by Playwright, and its HTTP answers.</summary>
public sealed class DashboardTests : IAsyncLifetime
{
    private EdgeHarness _edge = null!;
    private LocalServices _local = null!;

    public async Task InitializeAsync()
    {
        _local = await LocalServices.StartAsync();
        _edge = await EdgeHarness.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await Teardown.DisposeAsync(_edge, _local);
    }

    [Fact]
    public async Task The_dashboard_lists_a_live_tunnel_with_its_port_and_bandwidth_after_signing_in_with_the_admin_key()
    {
        const string host = "live." + EdgeHarness.Domain;
        var port = 0;
        await _edge.StartClientAsync("live", "live", async client =>
        {
            (await _edge.TunnelAsync(client, "tunnel", "http", "add", "--domain", host, "--destination", "127.0.0.1", "--http", _local.HttpPort.ToString()))
                .AssertSuccess();
            port = int.Parse((await _edge.TunnelAsync(client, "tunnel", "tcp", "allocate")).AssertSuccess().Output.Split(' ')[1]);
            (await _edge.TunnelAsync(client, "tunnel", "tcp", "forward", "--port", port.ToString(), "--destination", "127.0.0.1", "--dstport", _local.EchoPort.ToString()))
                .AssertSuccess();
        });
        using (var http = new HttpClient())
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{_edge.HttpPort}/bytes/300000");
            request.Headers.Host = host;
            Assert.Equal(300_000, (await (await http.SendAsync(request)).Content.ReadAsByteArrayAsync()).Length);
        }
        var token = (await _edge.Admin.ListTokensAsync(new Empty(), _edge.AdminHeaders)).Tokens.Single(t => t.Hostname == host).Token;

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new()
        {
            // Debian's Chromium: Playwright's own browser download cannot reach the internet from here.
            ExecutablePath = "/usr/bin/chromium",
            Args = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        var page = await browser.NewPageAsync();
        page.SetDefaultTimeout(30_000);
        var dashboard = $"http://127.0.0.1:{_edge.DashboardPort}/";

        // Signed out: the sign-in form; a wrong key is refused.
        await page.GotoAsync(dashboard);
        Assert.EndsWith("/login", page.Url);
        await page.FillAsync("input[name=key]", "not-the-key");
        await page.ClickAsync("button[type=submit]");
        Assert.Contains("not the edge's admin key", await page.InnerTextAsync("[role=alert]"));

        await page.FillAsync("input[name=key]", _edge.AdminKey);
        await page.ClickAsync("button[type=submit]");
        // Waiting for the redirect's URL only: what the test reads next, it waits for itself. Waiting for the load event
        // too once timed out after the page had loaded (Playwright logged its network going idle, never the load).
        await page.WaitForURLAsync(dashboard, new() { WaitUntil = WaitUntilState.Commit });
        var row = page.Locator("#tunnels tbody tr", new() { HasText = host });
        Assert.Equal("online", await row.Locator("td.online").InnerTextAsync());
        Assert.Contains("KiB", await row.Locator("td").Nth(6).InnerTextAsync());
        Assert.Equal("online", await page.Locator("#ports tbody tr", new() { HasText = port.ToString() }).Locator("td").Nth(2).InnerTextAsync());

        // Served with security headers, its stylesheet allowed by them, and no secret in it.
        var response = await page.ReloadAsync();
        var headers = await response!.AllHeadersAsync();
        Assert.Contains("default-src 'none'", headers["content-security-policy"]);
        Assert.Contains("frame-ancestors 'none'", headers["content-security-policy"]);
        Assert.Equal("nosniff", headers["x-content-type-options"]);
        Assert.Equal("no-store", headers["cache-control"]);
        Assert.Equal("rgb(10, 125, 40)", await row.Locator("td.online").EvaluateAsync<string>("e => getComputedStyle(e).color"));
        var html = await page.ContentAsync();
        Assert.DoesNotContain(_edge.AdminKey, html);
        Assert.DoesNotContain(token, html);
        var cookie = (await page.Context.CookiesAsync()).Single();
        Assert.True(cookie.HttpOnly);
        Assert.Equal(SameSiteAttribute.Strict, cookie.SameSite);

        // Signed out again: back to the form. A forged cookie does not get in.
        await page.ClickAsync("text=Sign out");
        await page.WaitForURLAsync($"{dashboard}login", new() { WaitUntil = WaitUntilState.Commit });
        using var forged = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false });
        using var forgedRequest = new HttpRequestMessage(HttpMethod.Get, dashboard);
        forgedRequest.Headers.Add("Cookie", $"spokes-dashboard={DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds()}.00");
        var refused = await forged.SendAsync(forgedRequest);
        Assert.Equal(HttpStatusCode.Redirect, refused.StatusCode);
        Assert.Equal("/login", refused.Headers.Location!.ToString());
    }
}
