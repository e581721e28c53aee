using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace Spokes.Api.Setup;

/// <summary>
/// The small server-rendered pages (wizard, admin, OIDC): every value HTML-encoded, one stylesheet allowed by its
/// hash, no script, forms posting only here, never framed, and CSRF tokens bound to the browser's cookie.
/// </summary>
public static class WebPage
{
    private const string Style =
        "body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#222}" +
        "label{display:block;margin:.8rem 0 .2rem}input[type=text],input[type=email],input[type=password],input[type=url],input[type=number]{width:100%;padding:.4rem}" +
        "button{margin-top:1rem;padding:.5rem 1rem}.error{color:#a00;border:1px solid #a00;padding:.5rem}.note{color:#555}img.logo{max-height:4rem}";

    private static readonly string StyleHash = "sha256-" + Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(Style)));

    /// <summary>Signs CSRF tokens; a restart only asks for a reload.</summary>
    private static readonly byte[] CsrfKey = RandomNumberGenerator.GetBytes(32);

    public static string E(string? value) => WebUtility.HtmlEncode(value ?? "");

    /// <summary>
    /// A page; <paramref name="imageOrigin"/> is where its images come from besides this origin (Autumn at the public URL),
    /// and <paramref name="icon"/> the server profile's icon, shown by the browser for the page.
    /// </summary>
    public static IResult Html(HttpContext context, string title, string body, int status = StatusCodes.Status200OK, string? imageOrigin = null,
        string? icon = null)
    {
        ApplyHeaders(context.Response, imageOrigin);
        var iconLink = icon is null ? "" : $"<link rel=\"icon\" href=\"{E(icon)}\">";
        var html = $"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">" +
                   $"<title>{E(title)}</title>{iconLink}<style>{Style}</style></head><body><h1>{E(title)}</h1>{body}</body></html>";
        return Results.Content(html, "text/html; charset=utf-8", Encoding.UTF8, status);
    }

    public static void ApplyHeaders(HttpResponse response, string? imageOrigin = null)
    {
        response.Headers.ContentSecurityPolicy =
            $"default-src 'none'; style-src '{StyleHash}'; img-src 'self'{(imageOrigin is null ? "" : " " + imageOrigin)}; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
        response.Headers.XFrameOptions = "DENY";
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers["Referrer-Policy"] = "no-referrer";
        response.Headers.CacheControl = "no-store";
    }

    public static IResult Redirect(HttpContext context, string path)
    {
        ApplyHeaders(context.Response);
        // 303: the browser follows a form's POST with a GET.
        context.Response.Headers.Location = path;
        return Results.StatusCode(StatusCodes.Status303SeeOther);
    }

    public static void SetCookie(HttpContext context, string name, string value, SameSiteMode sameSite, string path = "/", TimeSpan? lifetime = null) =>
        context.Response.Cookies.Append(name, value, new CookieOptions
        {
            HttpOnly = true,
            Secure = context.Request.IsHttps,
            SameSite = sameSite,
            Path = path,
            MaxAge = lifetime,
            IsEssential = true,
        });

    public static string Csrf(string browserToken, string purpose) =>
        Convert.ToBase64String(HMACSHA256.HashData(CsrfKey, Encoding.UTF8.GetBytes(purpose + "\n" + browserToken)));

    public static string CsrfField(string browserToken, string purpose) =>
        $"<input type=\"hidden\" name=\"csrf\" value=\"{E(Csrf(browserToken, purpose))}\">";

    public static bool CsrfValid(IFormCollection form, string browserToken, string purpose) =>
        form["csrf"].ToString() is { Length: > 0 } given &&
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(Csrf(browserToken, purpose)));

    public static string Error(string? message) => message is null ? "" : $"<p class=\"error\" role=\"alert\">{E(message)}</p>";
}
