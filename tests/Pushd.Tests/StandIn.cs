using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace Spokes.Pushd.Tests;

/// <summary>A push service's stand-in on loopback: every request is recorded, and answered by the test's handler.</summary>
public sealed class StandIn : IAsyncDisposable
{
    private readonly WebApplication _app;

    public sealed record Received(string Method, string Path, IHeaderDictionary Headers, byte[] Body, string Protocol);

    private StandIn(WebApplication app) => _app = app;

    public ConcurrentQueue<Received> Requests { get; } = new();

    public string Url => _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().Replace("[::1]", "127.0.0.1");

    /// <param name="http2Only">Cleartext HTTP/2 with prior knowledge, as an APNs stand-in without TLS.</param>
    public static async Task<StandIn> StartAsync(Func<Received, HttpContext, Task> handle, bool http2Only = false)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0,
            listen => listen.Protocols = http2Only ? HttpProtocols.Http2 : HttpProtocols.Http1AndHttp2));
        var app = builder.Build();
        var standIn = new StandIn(app);
        app.Run(async context =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            var received = new Received(context.Request.Method, context.Request.Path + context.Request.QueryString, context.Request.Headers,
                body.ToArray(), context.Request.Protocol);
            standIn.Requests.Enqueue(received);
            await handle(received, context);
        });
        await app.StartAsync();
        return standIn;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>Plain HttpClients, as the factory hands the senders theirs.</summary>
public sealed class PlainHttpClients : IHttpClientFactory
{
    public HttpClient CreateClient(string name) => new() { Timeout = TimeSpan.FromSeconds(10) };
}
