using System.Net;
using Spokes.TunnelEdge.Access;
using Spokes.TunnelEdge.Tunnels;
using Yarp.ReverseProxy.Forwarder;

namespace Spokes.TunnelEdge.Public;

/// <summary>
/// Public HTTP(S): the request's Host picks the tunnel and route; the request is forwarded over the tunnel's
/// data connections. Other hosts (the edge's own names) serve the localtunnel API where it is on, else a 404.
/// Kestrel enforces the header, request-line and slow-client limits before this runs.
/// </summary>
public static class PublicHttp
{
    private static readonly ForwarderRequestConfig RequestConfig = new() { ActivityTimeout = TimeSpan.FromSeconds(100) };

    public static async Task HandleAsync(HttpContext context)
    {
        var registry = context.RequestServices.GetRequiredService<TunnelRegistry>();
        var host = Hostnames.Normalize(context.Request.Host.Host);
        if (registry.ForHost(host) is not var (session, route))
        {
            if (context.Request.Path.Value!.StartsWith(LocalTunnelApi.PathPrefix, StringComparison.Ordinal)
                && context.RequestServices.GetRequiredService<EdgeOptions>().TunOptions.Localtunnel)
            {
                await LocalTunnelApi.HandleAsync(context);
                return;
            }
            await PlainPageAsync(context, StatusCodes.Status404NotFound, "404 Not Found", $"No tunnel serves {WebUtility.HtmlEncode(host)}.");
            return;
        }
        if (!await VisitorGate.AdmitHttpAsync(context, session.TunnelId, host)) return;
        if (!session.TryAdmitVisitor())
        {
            await PlainPageAsync(context, StatusCodes.Status503ServiceUnavailable, "503 Service Unavailable", "This tunnel is carrying as many connections as it may.");
            return;
        }
        try
        {
            var forwarder = context.RequestServices.GetRequiredService<IHttpForwarder>();
            var error = await forwarder.SendAsync(context, $"http://r{route}/", session.Http, RequestConfig, OriginalHostTransformer.Instance);
            if (error != ForwarderError.None && !context.Response.HasStarted)
            {
                await PlainPageAsync(context, StatusCodes.Status502BadGateway, "502 Bad Gateway", "The tunnel's client did not answer.");
            }
        }
        finally
        {
            session.VisitorLeft();
        }
    }

    private static Task PlainPageAsync(HttpContext context, int status, string title, string text)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/html; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        return context.Response.WriteAsync($"<!doctype html><title>{title}</title><h1>{title}</h1><p>{text}</p>\n");
    }

    /// <summary>Keeps the visitor's Host (the app behind the tunnel sees its own name) and says who the visitor is.</summary>
    private sealed class OriginalHostTransformer : HttpTransformer
    {
        public static readonly OriginalHostTransformer Instance = new();

        public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix,
            CancellationToken cancellationToken)
        {
            await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
            proxyRequest.Headers.Host = httpContext.Request.Host.Value;
            proxyRequest.Headers.Remove("X-Forwarded-For");
            proxyRequest.Headers.TryAddWithoutValidation("X-Forwarded-For", httpContext.Connection.RemoteIpAddress?.ToString());
            proxyRequest.Headers.Remove("X-Forwarded-Proto");
            proxyRequest.Headers.TryAddWithoutValidation("X-Forwarded-Proto", httpContext.Request.Scheme);
            proxyRequest.Headers.Remove("X-Forwarded-Host");
            proxyRequest.Headers.TryAddWithoutValidation("X-Forwarded-Host", httpContext.Request.Host.Value);
        }
    }
}
