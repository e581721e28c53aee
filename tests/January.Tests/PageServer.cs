using System.Collections.Concurrent;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace Spokes.January.Tests;

/// <summary>
/// The web January is pointed at in tests, on loopback: pages with OpenGraph, Twitter card and oEmbed metadata, an
/// image, a GIF, videos, a huge page, a slow page and redirects. It counts the requests each path and query got.
/// </summary>
public sealed class PageServer : IAsyncDisposable
{
    /// <summary>The huge page's size: its head comes first, then markup far past January's HTML cap.</summary>
    public const int HugeBytes = 20 * 1024 * 1024;

    private readonly ConcurrentDictionary<string, int> _hits = new();
    private WebApplication _app = null!;

    public int Port { get; private set; }

    public string Url(string path) => $"http://127.0.0.1:{Port}{path}";

    public int HitsOf(string path) => _hits.GetValueOrDefault(path);

    public async Task StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _app = builder.Build();
        _app.Use(async (context, next) =>
        {
            _hits.AddOrUpdate(context.Request.Path.Value + context.Request.QueryString.Value, 1, (_, n) => n + 1);
            await next(context);
        });
        _app.MapGet("/opengraph", () => Html("""
            <html><head>
            <meta property="og:title" content=" An OpenGraph page ">
            <meta property="og:description" content="Described by OpenGraph">
            <meta property="og:image" content="/image.png">
            <meta property="og:image:width" content="640">
            <meta property="og:image:height" content="480">
            <meta property="og:site_name" content="Test Site">
            <meta name="theme-color" content="#123456">
            <link rel="icon" href="favicon.ico">
            </head><body>Hello</body></html>
            """));
        _app.MapGet("/twitter", () => Html("""
            <html><head>
            <meta name="twitter:card" content="summary_large_image">
            <meta name="twitter:title" content="A Twitter card">
            <meta name="twitter:description" content="Described by a card">
            <meta name="twitter:image" content="/image.png">
            </head><body></body></html>
            """));
        _app.MapGet("/oembed-page", () => Html("""
            <html><head>
            <link rel="alternate" type="application/json+oembed" href="/oembed.json">
            </head><body></body></html>
            """));
        _app.MapGet("/oembed.json", () => Results.Json(new
        {
            version = "1.0", type = "rich", title = "Told by oEmbed", provider_name = "Provider",
            thumbnail_url = "/image.png", thumbnail_width = 64, thumbnail_height = 32,
        }));
        _app.MapGet("/video-page", () => Html("""
            <html><head>
            <meta property="og:title" content="A page with a video">
            <meta property="og:image" content="/image.png">
            <meta property="og:video" content="/video.mp4">
            </head><body></body></html>
            """));
        _app.MapGet("/youtube-oembed", (string url) => Results.Json(new
        {
            title = "A video", author_name = "Creator", author_url = "https://www.youtube.com/@creator",
            provider_name = "YouTube", thumbnail_url = "https://i.ytimg.com/vi/dQw4w9WgXcQ/hqdefault.jpg", asked = url,
        }));
        _app.MapGet("/image.png", () => Results.Bytes(TestMedia.Png(64, 32), "image/png"));
        _app.MapGet("/anim.gif", () => Results.Bytes(TestMedia.Gif, "image/gif"));
        _app.MapGet("/fake.gif", () => Results.Bytes("GIF89a but not really"u8.ToArray(), "image/gif"));
        _app.MapGet("/video.mp4", () => Results.Bytes(TestMedia.Mp4(1280, 720, padding: 4096), "video/mp4"));
        _app.MapGet("/video.webm", () => Results.Bytes(TestMedia.WebM(320, 240), "video/webm"));
        _app.MapGet("/not-a-video.mp4", () => Results.Bytes(new byte[4096], "video/mp4"));
        _app.MapGet("/text", () => Results.Text("just text", "text/plain"));
        _app.MapGet("/bare", () => Html("<html><head><title>Only a title</title></head><body>nothing else</body></html>"));
        _app.MapGet("/huge", async context =>
        {
            context.Response.ContentType = "text/html";
            var head = Encoding.UTF8.GetBytes("<html><head><meta property=\"og:title\" content=\"A huge page\"></head><body>");
            await context.Response.Body.WriteAsync(head);
            var filler = Encoding.UTF8.GetBytes(new string('x', 64 * 1024));
            for (var sent = head.Length; sent < HugeBytes && !context.RequestAborted.IsCancellationRequested; sent += filler.Length)
                await context.Response.Body.WriteAsync(filler, context.RequestAborted);
        });
        _app.MapGet("/huge.mp4", async context =>
        {
            context.Response.ContentType = "video/mp4";
            await context.Response.Body.WriteAsync(TestMedia.Mp4(640, 360));
            var filler = new byte[64 * 1024];
            for (var sent = 0; sent < HugeBytes && !context.RequestAborted.IsCancellationRequested; sent += filler.Length)
                await context.Response.Body.WriteAsync(filler, context.RequestAborted);
        });
        _app.MapGet("/slow", async context =>
        {
            await Task.Delay(TimeSpan.FromSeconds(30), context.RequestAborted);
            await context.Response.WriteAsync("<html></html>");
        });
        // /chain/3 → /chain/2 → /chain/1 → /opengraph
        _app.MapGet("/chain/{hops:int}", (int hops) => Results.Redirect(hops <= 1 ? "/opengraph" : $"/chain/{hops - 1}"));
        _app.MapGet("/to", (string target) => Results.Redirect(target));
        await _app.StartAsync();
        Port = new Uri(_app.Urls.Single()).Port;
    }

    private static IResult Html(string html) => Results.Content(html, "text/html; charset=utf-8");

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
