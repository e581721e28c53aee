using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Spokes.TestSupport;

namespace Spokes.Egress.Tests;

/// <summary>The egress HttpClient end to end: real sockets, a real page server, a test DNS server.</summary>
public sealed class EgressClientTests : IAsyncLifetime
{
    private readonly CountingListener target = new(IPAddress.Loopback);
    private readonly CountingListener targetV6 = new(IPAddress.IPv6Loopback);
    private readonly TestDnsServer dns = new();
    private WebApplication pages = null!;
    private int pagesPort;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        pages = builder.Build();
        pages.MapGet("/page", () => "hello");
        pages.MapGet("/big", () => Results.Text(new string('x', 100_000)));
        pages.MapGet("/redirect", (string to) => Results.Redirect(to));
        await pages.StartAsync();
        pagesPort = new Uri(pages.Urls.Single()).Port;
    }

    [Theory]
    [InlineData("http://127.0.0.1:{0}/")]
    [InlineData("http://2130706433:{0}/")]
    [InlineData("http://0x7f.1:{0}/")]
    [InlineData("http://[::ffff:127.0.0.1]:{0}/")]
    [InlineData("http://localhost:{0}/")]
    public async Task Loopback_in_any_spelling_is_refused_before_anything_connects(string url)
    {
        using var client = Client();

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync(string.Format(url, target.Port)));

        Assert.True(EgressRefusedException.IsRefusal(error));
        Assert.Equal(0, target.Accepted);
    }

    [Fact]
    public async Task IPv6_loopback_is_refused_before_anything_connects()
    {
        using var client = Client();

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync($"http://[::1]:{targetV6.Port}/"));

        Assert.True(EgressRefusedException.IsRefusal(error));
        Assert.Equal(0, targetV6.Accepted);
    }

    [Fact]
    public async Task A_public_looking_name_that_resolves_to_loopback_is_refused()
    {
        dns.Answer("pages.example", IPAddress.Loopback);
        using var client = Client();

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync($"http://pages.example:{target.Port}/"));

        Assert.True(EgressRefusedException.IsRefusal(error));
        Assert.Equal(0, target.Accepted);
    }

    [Fact]
    public async Task A_name_is_resolved_once_per_connection_and_the_checked_address_is_the_one_dialled()
    {
        // Allowed by address, then rebinding to another loopback port's address would need a second lookup.
        dns.Answer("rebind.example", n => n == 1 ? [IPAddress.Loopback] : [IPAddress.Parse("10.0.0.1")]);
        using var client = Client($"127.0.0.1:{pagesPort}");

        var body = await client.GetStringAsync($"http://rebind.example:{pagesPort}/page");

        Assert.Equal("hello", body);
        Assert.Equal(1, dns.QuestionsFor("rebind.example"));
    }

    [Fact]
    public async Task An_allowed_host_is_reached_and_a_redirect_from_it_to_loopback_is_refused()
    {
        using var client = Client($"127.0.0.1:{pagesPort}");

        Assert.Equal("hello", await client.GetStringAsync($"http://127.0.0.1:{pagesPort}/page"));
        var error = await Assert.ThrowsAsync<HttpRequestException>(() =>
            client.GetAsync($"http://127.0.0.1:{pagesPort}/redirect?to=http://127.0.0.1:{target.Port}/"));

        Assert.True(EgressRefusedException.IsRefusal(error));
        Assert.Equal(0, target.Accepted);
    }

    [Fact]
    public async Task Push_clients_do_not_follow_redirects()
    {
        using var client = Client($"127.0.0.1:{pagesPort}", o => o.FollowRedirects = false);

        using var response = await client.GetAsync($"http://127.0.0.1:{pagesPort}/redirect?to=http://127.0.0.1:{target.Port}/");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal(0, target.Accepted);
    }

    [Fact]
    public async Task A_body_over_the_cap_stops_the_read()
    {
        using var client = Client($"127.0.0.1:{pagesPort}");
        using var response = await client.GetAsync($"http://127.0.0.1:{pagesPort}/big", HttpCompletionOption.ResponseHeadersRead);

        var error = await Assert.ThrowsAsync<EgressLimitExceededException>(() => response.Content.ReadAsBytesLimitedAsync(10_000, CancellationToken.None));

        Assert.Equal(10_000, error.MaxBytes);
    }

    [Fact]
    public async Task The_suites_default_handlers_do_not_wrap_the_egress_client()
    {
        var services = Services($"127.0.0.1:{pagesPort}");
        services.ConfigureHttpClientDefaults(http => http.AddHttpMessageHandler(() => new RefusingHandler()));
        services.AddEgressHttpClient("embeds");
        await using var provider = services.BuildServiceProvider();

        var body = await provider.GetRequiredService<IHttpClientFactory>().CreateClient("embeds").GetStringAsync($"http://127.0.0.1:{pagesPort}/page");

        Assert.Equal("hello", body);
    }

    private HttpClient Client(string allow = "", Action<EgressClientOptions>? configure = null)
    {
        var services = Services(allow);
        services.AddEgressHttpClient("test", configure);
        return services.BuildServiceProvider().GetRequiredService<IHttpClientFactory>().CreateClient("test");
    }

    private ServiceCollection Services(string allow)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Egress:Allow"] = allow,
            ["Egress:DnsServer"] = dns.EndPoint.ToString(),
        }).Build());
        return services;
    }

    public async Task DisposeAsync()
    {
        await pages.DisposeAsync();
        await dns.DisposeAsync();
        target.Dispose();
        targetV6.Dispose();
    }

    private sealed class RefusingHandler : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("a default handler ran");
    }

    /// <summary>A listener that only counts connections: a refused fetch must leave it at zero.</summary>
    private sealed class CountingListener : IDisposable
    {
        private readonly TcpListener listener;
        private int accepted;

        public CountingListener(IPAddress address)
        {
            listener = new TcpListener(address, 0);
            listener.Start();
            _ = AcceptAsync();
        }

        public int Port => ((IPEndPoint)listener.LocalEndpoint).Port;

        public int Accepted => Volatile.Read(ref accepted);

        private async Task AcceptAsync()
        {
            try
            {
                while (true)
                {
                    using var socket = await listener.AcceptSocketAsync();
                    Interlocked.Increment(ref accepted);
                }
            }
            catch (Exception e) when (e is ObjectDisposedException or SocketException)
            {
            }
        }

        public void Dispose() => listener.Stop();
    }
}
