using Microsoft.Extensions.Options;
using Spokes.Api.Configuration;
using Spokes.Api.Errors;
using Spokes.Api.Identity;
using Spokes.Api.Models;
using Spokes.Api.Oidc;
using Spokes.Api.Storage;
using static Spokes.Api.Setup.WebPage;

namespace Spokes.Api.Setup;

/// <summary>
/// <c>/admin</c>: the settings the wizard made, changed later by an administrator, who signs in here with e-mail and
/// password (a Spokes session held in an HttpOnly, SameSite=Strict cookie). An organisation administrator runs the
/// organisation's side of the instance: the server profile (name, logo, icon). The licence, the network and the
/// identity provider, which decide how the instance is reached and who may sign in, stay with global administrators
/// (see <see cref="AdminRights"/>).
/// </summary>
public static class AdminPages
{
    public const string SessionCookie = "spokes_admin";
    private const string CsrfPurpose = "admin";

    public static IEndpointRouteBuilder MapAdminPages(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/admin").ExcludeFromDescription();
        admin.MapGet("/", Show);
        admin.MapPost("/login", SignIn).DisableAntiforgery();
        admin.MapPost("/{section}", Change).DisableAntiforgery();
        return app;
    }

    private static async Task<AdminEntry?> AdministratorAsync(HttpContext context, SetupState state, ISessionStore sessions, CancellationToken cancellationToken)
    {
        if (context.Request.Cookies[SessionCookie] is not { Length: > 0 } token) return null;
        var session = await sessions.FindByTokenAsync(token, cancellationToken);
        return session is null ? null : state.Current.Admins.FirstOrDefault(a => a.AccountId == session.UserId);
    }

    public static async Task<IResult> Show(HttpContext context, SetupState state, ISessionStore sessions, IOptions<ApiOptions> api, Branding branding,
        CancellationToken cancellationToken)
    {
        if (!state.Completed) return Redirect(context, "/setup");
        return await AdministratorAsync(context, state, sessions, cancellationToken) is { } admin
            ? Page(context, state.Current, admin, context.Request.Cookies[SessionCookie]!, branding, null)
            : LoginForm(context, null);
    }

    private static IResult LoginForm(HttpContext context, string? error, int status = StatusCodes.Status200OK) => Html(context, "Administration", Error(error) +
        "<form method=\"post\" action=\"/admin/login\"><label for=\"email\">E-mail</label><input type=\"email\" id=\"email\" name=\"email\" required>" +
        "<label for=\"password\">Password</label><input type=\"password\" id=\"password\" name=\"password\" autocomplete=\"current-password\" required>" +
        "<button type=\"submit\">Sign in</button></form>", status);

    public static async Task<IResult> SignIn(HttpContext context, SetupState state, AccountService accounts, CancellationToken cancellationToken)
    {
        if (!state.Completed) return Redirect(context, "/setup");
        var form = await context.Request.ReadFormAsync(cancellationToken);
        object answer;
        try
        {
            answer = await accounts.LoginAsync(new LoginRequest(form["email"], form["password"], "Administration", null, null), context.Connection.RemoteIpAddress,
                cancellationToken);
        }
        catch (StoatException)
        {
            return LoginForm(context, "Wrong e-mail or password.", StatusCodes.Status403Forbidden);
        }
        if (answer is not LoginSuccess success || !state.Current.Admins.Any(a => a.AccountId == success.UserId))
            return LoginForm(context, "This account cannot administer the server here (not an administrator, or it needs a second factor).", StatusCodes.Status403Forbidden);
        SetCookie(context, SessionCookie, success.Token, SameSiteMode.Strict);
        return Redirect(context, "/admin");
    }

    public static async Task<IResult> Change(string section, HttpContext context, SetupState state, ISessionStore sessions, Branding branding, OidcLogin oidc,
        CancellationToken cancellationToken)
    {
        if (!state.Completed) return Redirect(context, "/setup");
        var form = await context.Request.ReadFormAsync(cancellationToken);
        var token = context.Request.Cookies[SessionCookie];
        if (await AdministratorAsync(context, state, sessions, cancellationToken) is not { } admin || !CsrfValid(form, token!, CsrfPurpose))
            return LoginForm(context, "Sign in again.", StatusCodes.Status403Forbidden);
        if (!AdminRights.MayChange(admin.Role, section))
            return Page(context, state.Current, admin, token!, branding, "Only a global administrator may change this.", status: StatusCodes.Status403Forbidden);
        try
        {
            switch (section)
            {
                case "profile":
                    var name = SetupRules.ServerName(form["server_name"]);
                    await branding.SaveProfileAsync(name, form.Files["logo"], form.Files["icon"], cancellationToken);
                    break;
                case "network":
                    var network = SetupRules.Network(form["public_url"], Number(form["livekit_tcp"]), Number(form["livekit_udp_start"]), Number(form["livekit_udp_end"]));
                    state.Update(s => s with { Network = network });
                    break;
                case "identity":
                    var (identity, test) = await SetupPages.IdentityAnswerAsync(form, oidc, cancellationToken);
                    if (test is not null)
                        return Page(context, state.Current, admin, token!, branding, null, SetupPages.TestLink(await oidc.BeginTestAsync(context, test, cancellationToken)));
                    state.Update(s => s with { Identity = identity! });
                    break;
                default:
                    return Results.NotFound();
            }
        }
        catch (Exception e) when (e is SetupAnswerException or OidcLoginException)
        {
            return Page(context, state.Current, admin, token!, branding, e.Message, status: StatusCodes.Status400BadRequest);
        }
        return Redirect(context, "/admin");
    }

    private static int Number(string? value) => int.TryParse(value, out var number) ? number : -1;

    private static IResult Page(HttpContext context, ServerSettings settings, AdminEntry admin, string token, Branding branding, string? error, string extra = "",
        int status = StatusCodes.Status200OK)
    {
        var csrf = CsrfField(token, CsrfPurpose);
        var licence = settings.License is { } l
            ? $"Licensed to {E(l.Licensee)} ({E(l.Edition)}, {l.Seats} seats) until {l.Expires:yyyy-MM-dd}."
            : E(LicenseFile.DemoLimits);
        var body =
            $"<p>Signed in as {E(admin.Email)}.</p>{Error(error)}{extra}" +
            $"<h2>Licence</h2><p id=\"licence\">{licence}</p>" +
            "<h2>Server profile</h2>" +
            $"<form method=\"post\" action=\"/admin/profile\" enctype=\"multipart/form-data\">{csrf}" +
            $"<label for=\"server_name\">Server name</label><input type=\"text\" id=\"server_name\" name=\"server_name\" value=\"{E(settings.ServerName)}\" required>" +
            (branding.Url(settings.Logo) is { } logo ? $"<img class=\"logo\" src=\"{E(logo)}\" alt=\"logo\">" : "") +
            "<label for=\"logo\">Logo</label><input type=\"file\" id=\"logo\" name=\"logo\" accept=\"image/*\">" +
            "<label for=\"icon\">Icon</label><input type=\"file\" id=\"icon\" name=\"icon\" accept=\"image/*\">" +
            "<button type=\"submit\">Save profile</button></form>" +
            (admin.Role == AdminRole.Global ? GlobalSections(settings, csrf) : "<p class=\"note\">The network and the identity provider are changed by a global administrator.</p>") +
            "<h2>Administrators</h2><ul>" + string.Join("", settings.Admins.Select(a => $"<li>{E(a.Email)} ({a.Role.ToString().ToLowerInvariant()})</li>")) + "</ul>";
        return Html(context, "Administration: " + settings.ServerName, body, status, branding.ImageOrigin, branding.Url(settings.Icon));
    }

    private static string GlobalSections(ServerSettings settings, string csrf) =>
        "<h2>Network</h2>" +
        $"<form method=\"post\" action=\"/admin/network\">{csrf}" +
        $"<label for=\"public_url\">Public URL</label><input type=\"url\" id=\"public_url\" name=\"public_url\" value=\"{E(settings.Network.PublicUrl)}\" required>" +
        $"<label for=\"livekit_tcp\">LiveKit TCP port</label><input type=\"number\" id=\"livekit_tcp\" name=\"livekit_tcp\" value=\"{settings.Network.LiveKitTcpPort}\">" +
        $"<label for=\"livekit_udp_start\">LiveKit UDP ports from</label><input type=\"number\" id=\"livekit_udp_start\" name=\"livekit_udp_start\" value=\"{settings.Network.LiveKitUdpStart}\">" +
        $"<label for=\"livekit_udp_end\">to</label><input type=\"number\" id=\"livekit_udp_end\" name=\"livekit_udp_end\" value=\"{settings.Network.LiveKitUdpEnd}\">" +
        "<button type=\"submit\">Save network</button></form>" +
        "<p class=\"note\">A new public URL applies at once to what the Api announces; the Gateway's links, push notifications " +
        "and the suite's own LiveKit container (TCP port and UDP range) take the new values when the suite is next started.</p>" +
        "<h2>Identity</h2>" + SetupPages.IdentityForm("/admin/identity", csrf, settings.Identity, settings.Network.PublicUrl);
}
