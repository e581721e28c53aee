using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Spokes.TestSupport;

namespace Spokes.ServiceDefaults.Tests;

public class ForwardedHeadersTests
{
    [Fact]
    public void Trusted_proxies_are_addresses_and_networks_and_a_bad_entry_is_named()
    {
        var networks = TrustedProxies.Parse(" 10.0.0.0/8, 192.168.1.5 ,::1");
        Assert.Equal(["10.0.0.0/8", "192.168.1.5/32", "::1/128"], networks.Select(n => n.ToString()));
        Assert.Empty(TrustedProxies.Parse(""));
        Assert.Contains("'10.0.0.0/33'", Assert.Throws<InvalidOperationException>(() => TrustedProxies.Parse("10.0.0.0/33")).Message);
    }

    /// <summary>A service on a real socket, forwarded headers turned on as Aspire turns them on; it answers with the client address it sees.</summary>
    private static async Task<string> ClientAddressSeenAsync(string? trustedProxies, string claimed)
    {
        var port = Ports.Free();
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseSetting("FORWARDEDHEADERS_ENABLED", "true");
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        if (trustedProxies is not null) builder.Configuration[ForwardedHeadersDefaults.TrustedProxiesKey] = trustedProxies;
        builder.AddServiceDefaults();
        await using var app = builder.Build();
        app.MapGet("/who", (HttpContext context) => context.Connection.RemoteIpAddress!.ToString());
        await app.StartAsync();
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}/who");
        request.Headers.Add("X-Forwarded-For", claimed);
        return await (await http.SendAsync(request)).Content.ReadAsStringAsync();
    }

    [Fact]
    public async Task A_service_believes_the_gateway_on_loopback_by_default() =>
        Assert.Equal("198.51.100.7", await ClientAddressSeenAsync(null, "198.51.100.7"));

    [Fact]
    public async Task A_peer_outside_the_trusted_proxies_cannot_choose_its_address()
    {
        Assert.Equal("127.0.0.1", await ClientAddressSeenAsync("10.0.0.0/8", "198.51.100.7"));
        // Empty means nobody: ASP.NET Core alone would then believe everybody.
        Assert.Equal("127.0.0.1", await ClientAddressSeenAsync("", "198.51.100.7"));
    }

    [Fact]
    public async Task Only_the_hop_the_trusted_proxy_added_is_believed() =>
        Assert.Equal("198.51.100.7", await ClientAddressSeenAsync(null, "203.0.113.9, 198.51.100.7"));
}
