using System.Net;
using System.Text;

namespace Spokes.TunnelEdge.Access;

/// <summary>
/// Applies a tunnel's visitor controls to an HTTP visitor: a refused address gets a 403 page, a missing or wrong
/// password a 401 asking for HTTP basic credentials. The authorization header of a visitor let in is not forwarded.
/// </summary>
public static class VisitorGate
{
    public static async Task<bool> AdmitHttpAsync(HttpContext context, long tunnelId, string host)
    {
        var access = context.RequestServices.GetRequiredService<AccessStore>().For(tunnelId);
        if (access.IsOpen) return true;
        if (!access.Admits(context.Connection.RemoteIpAddress))
        {
            await PageAsync(context, StatusCodes.Status403Forbidden, "403 Forbidden", "This tunnel does not admit visitors from your address.");
            return false;
        }
        if (access.PasswordHash is null) return true;
        if (BasicCredentials(context.Request.Headers.Authorization.ToString()) is var (user, password) && access.PasswordMatches(user, password))
        {
            context.Request.Headers.Remove("Authorization");
            return true;
        }
        context.Response.Headers.WWWAuthenticate = $"Basic realm=\"{host}\", charset=\"UTF-8\"";
        await PageAsync(context, StatusCodes.Status401Unauthorized, "401 Unauthorized", "This tunnel needs a user name and password.");
        return false;
    }

    private static (string User, string Password)? BasicCredentials(string header)
    {
        if (!header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase) || header.Length > 1024) return null;
        var buffer = new byte[header.Length];
        if (!Convert.TryFromBase64String(header[6..].Trim(), buffer, out var length)) return null;
        var text = Encoding.UTF8.GetString(buffer, 0, length);
        var colon = text.IndexOf(':');
        return colon < 0 ? null : (text[..colon], text[(colon + 1)..]);
    }

    private static Task PageAsync(HttpContext context, int status, string title, string text)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/html; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        return context.Response.WriteAsync($"<!doctype html><title>{title}</title><h1>{title}</h1><p>{WebUtility.HtmlEncode(text)}</p>\n");
    }
}
