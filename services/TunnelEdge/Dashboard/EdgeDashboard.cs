using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Spokes.Contracts.Tunnels;
using Spokes.TunnelEdge.Admin;
using Spokes.TunnelEdge.Store;
using Spokes.TunnelEdge.Tunnels;

namespace Spokes.TunnelEdge.Dashboard;

/// <summary>
/// The operator's page on <c>listen.dashboard</c>: tunnels, ports, online state and bandwidth, rendered on the
/// server (no script). Signing in takes the admin key once; the browser then holds a cookie signed with it (12 h),
/// so changing the key signs everyone out. The page shows no token and no key.
/// </summary>
public static class EdgeDashboard
{
    private const string CookieName = "spokes-dashboard";
    private static readonly TimeSpan SessionLifetime = TimeSpan.FromHours(12);

    private const string Style = """
        body{font:14px system-ui,sans-serif;margin:2rem;color:#222}
        table{border-collapse:collapse;margin:0 0 2rem}
        th,td{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}
        th{background:#f3f3f3}
        .online{color:#0a7d28;font-weight:600}
        .offline{color:#888}
        .error{color:#b00020}
        form.inline{display:inline}
        """;

    public static async Task HandleAsync(HttpContext context)
    {
        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers.CacheControl = "no-store";
        var key = context.RequestServices.GetRequiredService<AdminKey>().Value;
        var path = context.Request.Path.Value;
        var method = context.Request.Method;
        switch (path, method)
        {
            case ("/style.css", "GET"):
                context.Response.ContentType = "text/css; charset=utf-8";
                await context.Response.WriteAsync(Style);
                return;
            case ("/login", "GET"):
                await LoginPageAsync(context, StatusCodes.Status200OK, null);
                return;
            case ("/login", "POST"):
                await SignInAsync(context, key);
                return;
            case ("/logout", "POST"):
                context.Response.Cookies.Delete(CookieName);
                context.Response.Redirect("/login");
                return;
            case ("/", "GET"):
                if (!HasSession(context, key))
                {
                    context.Response.Redirect("/login");
                    return;
                }
                await OverviewAsync(context);
                return;
            default:
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
        }
    }

    private static async Task SignInAsync(HttpContext context, string key)
    {
        if (!context.Request.HasFormContentType)
        {
            await LoginPageAsync(context, StatusCodes.Status400BadRequest, "Sign in with the form.");
            return;
        }
        var form = await context.Request.ReadFormAsync();
        var given = form["key"].ToString().Trim();
        if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(key)))
        {
            await LoginPageAsync(context, StatusCodes.Status401Unauthorized, "That is not the edge's admin key.");
            return;
        }
        var expires = DateTimeOffset.UtcNow.Add(SessionLifetime);
        context.Response.Cookies.Append(CookieName, SessionValue(key, expires.ToUnixTimeSeconds()), new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Secure = context.Request.IsHttps,
            Expires = expires,
            Path = "/",
        });
        context.Response.StatusCode = StatusCodes.Status303SeeOther;
        context.Response.Headers.Location = "/";
    }

    /// <summary>A session cookie: its expiry and an HMAC of it under the admin key.</summary>
    private static string SessionValue(string key, long expires) =>
        $"{expires}.{Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes($"dashboard:{expires}")))}";

    private static bool HasSession(HttpContext context, string key)
    {
        var cookie = context.Request.Cookies[CookieName];
        var dot = cookie?.IndexOf('.') ?? -1;
        if (dot < 0 || !long.TryParse(cookie![..dot], NumberStyles.None, CultureInfo.InvariantCulture, out var expires)) return false;
        if (DateTimeOffset.UtcNow.ToUnixTimeSeconds() > expires) return false;
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(cookie), Encoding.ASCII.GetBytes(SessionValue(key, expires)));
    }

    private static Task LoginPageAsync(HttpContext context, int status, string? error)
    {
        context.Response.StatusCode = status;
        var body = new StringBuilder("<h1>Spokes edge</h1>");
        if (error is not null) body.Append("<p class=\"error\" role=\"alert\">").Append(WebUtility.HtmlEncode(error)).Append("</p>");
        body.Append("""
            <form method="post" action="/login">
            <label>Admin key <input type="password" name="key" autocomplete="current-password" required></label>
            <button type="submit">Sign in</button>
            </form>
            """);
        return PageAsync(context, "Sign in", body.ToString(), refresh: false);
    }

    private static async Task OverviewAsync(HttpContext context)
    {
        var services = context.RequestServices;
        await services.GetRequiredService<TrafficMeter>().FlushAsync();
        var store = services.GetRequiredService<EdgeStore>();
        var registry = services.GetRequiredService<TunnelRegistry>();
        var options = services.GetRequiredService<EdgeOptions>();
        var tunnels = await store.ListTunnelsAsync(onlineOnly: false, all: false);
        var ports = await store.ListPortsAsync();

        var body = new StringBuilder();
        body.Append("<h1>Spokes edge: ").Append(Encode(options.Domain)).Append("</h1>");
        body.Append("<p>").Append(tunnels.Count(t => t.State == TunnelState.Online)).Append(" of ").Append(tunnels.Count)
            .Append(" tunnels online, ").Append(ports.Count).Append(" TCP ports allocated. ")
            .Append("<form class=\"inline\" method=\"post\" action=\"/logout\"><button type=\"submit\">Sign out</button></form></p>");

        body.Append("<h2>Tunnels</h2><table id=\"tunnels\"><thead><tr><th>ID</th><th>Hostname</th><th>User</th><th>State</th><th>Client address</th>")
            .Append("<th>Uptime</th><th>Today</th><th>This month</th></tr></thead><tbody>");
        foreach (var t in tunnels)
        {
            var online = t.State == TunnelState.Online;
            body.Append("<tr><td>").Append(t.Id).Append("</td><td>").Append(Encode(t.Hostname)).Append("</td><td>").Append(Encode(t.User ?? ""))
                .Append("</td><td class=\"").Append(online ? "online" : "offline").Append("\">").Append(online ? "online" : Encode(t.State.ToString().ToLowerInvariant()))
                .Append("</td><td>").Append(Encode(t.Address)).Append("</td><td>").Append(TrafficUnits.Duration(t.UptimeSeconds))
                .Append("</td><td>").Append(TrafficUnits.Bytes(t.DailyBytes)).Append("</td><td>").Append(TrafficUnits.Bytes(t.MonthlyBytes)).Append("</td></tr>");
        }
        body.Append("</tbody></table>");

        body.Append("<h2>TCP ports</h2><table id=\"ports\"><thead><tr><th>Port</th><th>Tunnel</th><th>State</th><th>This month</th></tr></thead><tbody>");
        foreach (var p in ports)
        {
            var online = p.State == TunnelState.Online && registry.ForTunnel(p.TunnelId)?.Ports.Contains(p.Port) == true;
            body.Append("<tr><td>").Append(p.Port).Append("</td><td>").Append(p.TunnelId).Append("</td><td class=\"").Append(online ? "online\">online" : "offline\">offline")
                .Append("</td><td>").Append(TrafficUnits.Bytes(p.MonthlyBytes)).Append("</td></tr>");
        }
        body.Append("</tbody></table>");
        await PageAsync(context, "Tunnels", body.ToString(), refresh: true);
    }

    private static Task PageAsync(HttpContext context, string title, string body, bool refresh)
    {
        context.Response.ContentType = "text/html; charset=utf-8";
        var meta = refresh ? "<meta http-equiv=\"refresh\" content=\"15\">" : "";
        return context.Response.WriteAsync(
            $"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">{meta}<title>{title} · Spokes edge</title><link rel=\"stylesheet\" href=\"/style.css\"></head><body>{body}</body></html>\n");
    }

    private static string Encode(string text) => WebUtility.HtmlEncode(text);
}
