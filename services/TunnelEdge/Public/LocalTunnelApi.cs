using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Serialization;
using Spokes.TunnelEdge.Store;
using Spokes.TunnelEdge.Tunnels;

namespace Spokes.TunnelEdge.Public;

/// <summary>
/// The npm <c>localtunnel</c> client's API (<c>tunOptions.localtunnel</c>), under <c>/localtunnel/TOKEN/</c> on the
/// edge's own names: the client's <c>--host</c> URL carries an authentication token, since its protocol has no
/// other place for one. <c>GET …/?new</c> (or <c>…/SUBDOMAIN</c>, which must be the token's own label) puts the
/// token's tunnel online and answers where the client's sockets go.
/// </summary>
public static class LocalTunnelApi
{
    public const string PathPrefix = "/localtunnel/";

    public static async Task HandleAsync(HttpContext context)
    {
        // The request's trace keeps the path without the token.
        Activity.Current?.SetTag("url.path", PathPrefix + "{token}");
        var path = context.Request.Path.Value![PathPrefix.Length..];
        var slash = path.IndexOf('/');
        var (token, subdomain) = slash < 0 ? (path, "") : (path[..slash], path[(slash + 1)..]);
        var services = context.RequestServices;
        var options = services.GetRequiredService<EdgeOptions>();
        var store = services.GetRequiredService<EdgeStore>();
        if (!HttpMethods.IsGet(context.Request.Method))
        {
            await RefuseAsync(context, StatusCodes.Status405MethodNotAllowed, "Only GET creates a localtunnel session.");
            return;
        }
        if (await store.FindTokenAsync(token) is not { Active: true } grant)
        {
            await RefuseAsync(context, StatusCodes.Status403Forbidden, "The authentication token in the host URL is not valid (removed or unknown).");
            return;
        }
        var label = grant.Hostname.Split('.')[0];
        if (subdomain.Length > 0 && subdomain != label)
        {
            await RefuseAsync(context, StatusCodes.Status409Conflict, $"This token's tunnel is {grant.Hostname}: ask for the subdomain {label}, or none.");
            return;
        }
        var listener = await ListenAsync(options, store);
        if (listener is null)
        {
            await RefuseAsync(context, StatusCodes.Status503ServiceUnavailable, "Every port of the edge's range is in use.");
            return;
        }

        var registry = services.GetRequiredService<TunnelRegistry>();
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger<LocalTunnelSession>();
        var client = new IPEndPoint(context.Connection.RemoteIpAddress!, context.Connection.RemotePort);
        var session = new LocalTunnelSession(grant.TunnelId, grant.Hostname, client, listener, options, services.GetRequiredService<TrafficMeter>(), logger);
        await store.ClaimDomainsAsync(grant.TunnelId, session.Domains);
        await registry.AttachAsync(session);
        _ = Task.Run(() => RunAsync(registry, store, session, logger));

        context.Response.ContentType = "application/json";
        await context.Response.WriteAsJsonAsync(new LocalTunnelGrant(label, session.Port, options.TunOptions.MaxPoolSize, PublicUrl(options, grant.Hostname)),
            LocalTunnelJson.Default.LocalTunnelGrant);
    }

    private static async Task RunAsync(TunnelRegistry registry, EdgeStore store, LocalTunnelSession session, ILogger logger)
    {
        try
        {
            await registry.RunAsync(session, async () =>
            {
                await store.SetOnlineAsync(session.TunnelId, session.Remote.Address.ToString(), "localtunnel", "", "");
                logger.LogInformation("Tunnel {TunnelId} is online from {Remote} (localtunnel, port {Port}).", session.TunnelId, session.Remote.Address, session.Port);
            });
        }
        catch (Exception e)
        {
            logger.LogError(e, "The localtunnel session of tunnel {TunnelId} failed.", session.TunnelId);
        }
    }

    /// <summary>A listening socket on a port of the edge's range that no tunnel reserved and nothing else holds; null when there is none.</summary>
    private static async Task<Socket?> ListenAsync(EdgeOptions options, EdgeStore store)
    {
        var reserved = (await store.ListPortsAsync()).Select(p => p.Port).ToHashSet();
        var address = IPAddress.Parse(options.Listen.TcpAddress);
        // From the top of the range down: reservations take the lowest free ports, so the two rarely meet.
        for (var port = options.PortRange.End; port >= options.PortRange.Begin; port--)
        {
            if (reserved.Contains(port)) continue;
            try
            {
                return ListeningSocket.Open(new IPEndPoint(address, port), backlog: 64);
            }
            catch (SocketException)
            {
                // Held by something else: the next one.
            }
        }
        return null;
    }

    /// <summary>The tunnel's public URL: HTTPS where the edge terminates TLS, with the port unless it is the scheme's own.</summary>
    private static string PublicUrl(EdgeOptions options, string hostname)
    {
        var https = !string.IsNullOrEmpty(options.Listen.Https);
        var schemePort = https ? 443 : 80;
        var port = EdgeOptions.TryParseEndPoint(https ? options.Listen.Https : options.Listen.Http, out var endPoint) ? endPoint.Port : schemePort;
        return $"{(https ? "https" : "http")}://{hostname}{(port == schemePort ? "" : $":{port}")}";
    }

    /// <summary>The client shows <c>message</c> of a refusal.</summary>
    private static Task RefuseAsync(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new LocalTunnelRefusal(message), LocalTunnelJson.Default.LocalTunnelRefusal);
    }
}

/// <summary>What <c>GET /?new</c> answers in the localtunnel protocol.</summary>
public sealed record LocalTunnelGrant(string Id, int Port, int MaxConnCount, string Url);

public sealed record LocalTunnelRefusal(string Message);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(LocalTunnelGrant))]
[JsonSerializable(typeof(LocalTunnelRefusal))]
internal sealed partial class LocalTunnelJson : JsonSerializerContext;
