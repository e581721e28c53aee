using Microsoft.Extensions.Options;
using Spokes.Api.Configuration;
using Spokes.Api.Oidc;
using static Spokes.Api.Setup.WebPage;

namespace Spokes.Api.Setup;

/// <summary>
/// The first-start wizard at <c>/setup</c>, and <c>/home</c> (the Gateway's <c>/</c>), which leads to it until setup
/// is done. Only the browser that entered this start's one-time setup code (printed by the AppHost) may run it.
/// </summary>
public static class SetupPages
{
    public const string BrowserCookie = "spokes_setup";
    private const string CsrfPurpose = "setup";

    private const string Eula =
        "Spokes is provided as is, without warranty. You run this server and answer for what it hosts. " +
        "Data in encrypted channels is lost with the master password: keep it, and a backup of the data folder, safe.";

    public static IEndpointRouteBuilder MapSetupPages(this IEndpointRouteBuilder app)
    {
        app.MapGet("/home", Home).ExcludeFromDescription();
        var setup = app.MapGroup("/setup").ExcludeFromDescription();
        setup.MapGet("/", Show);
        setup.MapPost("/code", EnterCode).DisableAntiforgery();
        setup.MapPost("/{step}", Answer).DisableAntiforgery();
        return app;
    }

    public static IResult Home(HttpContext context, SetupState state, Branding branding)
    {
        if (!state.Completed) return Redirect(context, "/setup");
        var settings = state.Current;
        var logo = branding.Url(settings.Logo) is { } url ? $"<p><img class=\"logo\" src=\"{E(url)}\" alt=\"logo\"></p>" : "";
        var oidc = settings.Identity.Mode == IdentityMode.Oidc ? "<p><a href=\"/auth/oidc/login\">Sign in with your organisation's account</a></p>" : "";
        return Html(context, settings.ServerName,
            $"{logo}<p>This is a Spokes server. Connect a Stoat client to <code>{E(settings.Network.PublicUrl)}/api</code>.</p>{oidc}<p><a href=\"/admin\">Administration</a></p>",
            imageOrigin: branding.ImageOrigin, icon: branding.Url(settings.Icon));
    }

    public static IResult Show(HttpContext context, SetupState state, IOptions<ApiOptions> api, Branding branding, int? step = null)
    {
        if (!state.Required) return Results.NotFound();
        if (state.Completed) return Redirect(context, "/admin");
        var browser = context.Request.Cookies[BrowserCookie];
        if (!state.IsClaimedBy(browser)) return CodeForm(context, state.CodeClaimed ? "Setup has been started from another browser." : null);
        var settings = state.Current;
        var current = step is { } asked && asked >= 0 && asked <= settings.Step && asked < SetupSteps.Done ? asked : Math.Min(settings.Step, SetupSteps.Admins);
        return StepPage(context, settings, current, browser!, api.Value, branding, null);
    }

    private static IResult CodeForm(HttpContext context, string? error, int status = StatusCodes.Status200OK) => Html(context, "Set up Spokes",
        Error(error) +
        "<p>Enter the one-time setup code that the server printed when it started (in the AppHost's output, after “Spokes is up”).</p>" +
        "<form method=\"post\" action=\"/setup/code\"><label for=\"code\">Setup code</label><input type=\"text\" id=\"code\" name=\"code\" autocomplete=\"off\" required>" +
        "<button type=\"submit\">Continue</button></form>", status);

    public static async Task<IResult> EnterCode(HttpContext context, SetupState state)
    {
        if (!state.Required) return Results.NotFound();
        if (state.Completed) return Redirect(context, "/admin");
        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        if (state.CodeClaimed) return CodeForm(context, "Setup has been started from another browser.", StatusCodes.Status403Forbidden);
        if (!state.IsSetupCode(form["code"])) return CodeForm(context, "That is not the setup code.", StatusCodes.Status403Forbidden);
        var browser = Identity.SecureTokens.NewToken(43);
        var claim = state.ClaimFor(browser);
        // Two browsers entering the code at once: the first to write holds it.
        var won = false;
        state.Update(s =>
        {
            if (s.Claim is { } held && held.CodeHash == claim.CodeHash) return s;
            won = true;
            return s with { Claim = claim };
        });
        if (!won) return CodeForm(context, "Setup has been started from another browser.", StatusCodes.Status403Forbidden);
        SetCookie(context, BrowserCookie, browser, SameSiteMode.Strict);
        return Redirect(context, "/setup");
    }

    public static async Task<IResult> Answer(string step, HttpContext context, SetupState state, IOptions<ApiOptions> api, IOptions<SetupOptions> options,
        Branding branding, SetupAccounts accounts, OidcLogin oidc, TimeProvider clock, CancellationToken cancellationToken)
    {
        if (!state.Required) return Results.NotFound();
        if (state.Completed) return Redirect(context, "/admin");
        var browser = context.Request.Cookies[BrowserCookie];
        var index = Array.IndexOf(SetupSteps.Names, step);
        var form = await context.Request.ReadFormAsync(cancellationToken);
        if (!state.IsClaimedBy(browser) || !CsrfValid(form, browser!, CsrfPurpose))
            return CodeForm(context, "This browser has not entered the setup code, or the form expired; reload the wizard.", StatusCodes.Status403Forbidden);
        if (index < 0 || index > state.Current.Step) return Results.NotFound();

        try
        {
            switch (index)
            {
                case SetupSteps.Eula:
                    if (form["accept"] != "yes") throw new SetupAnswerException("Accept the licence agreement to continue.");
                    state.Update(s => s with { EulaAccepted = true });
                    break;
                case SetupSteps.Profile:
                    var name = SetupRules.ServerName(form["server_name"]);
                    await branding.SaveProfileAsync(name, form.Files["logo"], form.Files["icon"], cancellationToken);
                    break;
                case SetupSteps.Licence:
                    LicenseInfo? license = null;
                    if (form["mode"] == "licence")
                    {
                        var file = form.Files["license"] ?? throw new SetupAnswerException("Choose the .spokes-license file.");
                        if (file.Length > LicenseFile.MaxBytes) throw new SetupAnswerException("That is not a licence file.");
                        using var buffer = new MemoryStream();
                        await file.CopyToAsync(buffer, cancellationToken);
                        license = LicenseFile.Verify(buffer.ToArray(), options.Value.LicenseVerifyingKey, DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime));
                    }
                    state.Update(s => s with { License = license });
                    break;
                case SetupSteps.Network:
                    var network = SetupRules.Network(form["public_url"], Number(form["livekit_tcp"]), Number(form["livekit_udp_start"]), Number(form["livekit_udp_end"]));
                    state.Update(s => s with { Network = network });
                    break;
                case SetupSteps.Identity:
                    var (identity, test) = await IdentityAnswerAsync(form, oidc, cancellationToken);
                    if (test is not null)
                    {
                        var authorize = await oidc.BeginTestAsync(context, test, cancellationToken);
                        return StepPage(context, state.Current, index, browser!, api.Value, branding, null, TestLink(authorize));
                    }
                    state.Update(s => s with { Identity = identity! });
                    break;
                case SetupSteps.Admins:
                    if (form["action"] == "finish")
                    {
                        if (!state.Current.Admins.Any(a => a.Role == AdminRole.Global)) throw new SetupAnswerException("Add at least one global administrator.");
                        state.Update(s => s with { Completed = true, Step = SetupSteps.Done, Claim = null });
                        return Redirect(context, "/");
                    }
                    var role = form["role"] == "organisation" ? AdminRole.Organisation : AdminRole.Global;
                    var admin = await accounts.AdminAsync(form["email"], form["password"], role, cancellationToken);
                    state.Update(s => s with { Admins = [.. s.Admins.Where(a => a.AccountId != admin.AccountId), admin] });
                    return Redirect(context, "/setup?step=" + SetupSteps.Admins);
            }
        }
        catch (Exception e) when (e is SetupAnswerException or OidcLoginException)
        {
            return StepPage(context, state.Current, index, browser!, api.Value, branding, e.Message, status: StatusCodes.Status400BadRequest);
        }
        state.Update(s => s with { Step = Math.Max(s.Step, index + 1) });
        return Redirect(context, "/setup");
    }

    /// <summary>
    /// The identity form's answer: the settings to save, or the provider to test. An external provider is saved only
    /// once a test login with exactly these settings succeeded.
    /// </summary>
    internal static async Task<(IdentitySettings? Save, OidcProvider? Test)> IdentityAnswerAsync(IFormCollection form, OidcLogin oidc, CancellationToken cancellationToken)
    {
        if (form["mode"] != "oidc") return (SetupRules.Identity(IdentityMode.Builtin, true, null), null);
        var provider = SetupRules.Oidc(form["issuer"], form["client_id"], form["client_secret"]);
        if (form["action"] == "test") return (null, provider);
        if (!await oidc.IsProvenAsync(provider, cancellationToken))
            throw new SetupAnswerException("Run “Test login” with these settings first: they are saved only once a login through the provider worked.");
        return (SetupRules.Identity(IdentityMode.Oidc, form["builtin_accounts"] == "yes", provider), null);
    }

    internal static string TestLink(string authorize) =>
        $"<p>Open the provider's login to prove these settings: <a id=\"test-login\" href=\"{E(authorize)}\">Test login</a>. " +
        "After it, come back, enter the same settings and save.</p>";

    private static int Number(string? value) => int.TryParse(value, out var number) ? number : -1;

    private static IResult StepPage(HttpContext context, ServerSettings settings, int step, string browser, ApiOptions api, Branding branding, string? error,
        string extra = "", int status = StatusCodes.Status200OK)
    {
        var csrf = CsrfField(browser, CsrfPurpose);
        var progress = string.Join(" · ", SetupSteps.Titles.Select((title, i) =>
            i == step ? $"<strong>{E(title)}</strong>" : i <= settings.Step ? $"<a href=\"/setup?step={i}\">{E(title)}</a>" : E(title)));
        var action = $"/setup/{SetupSteps.Names[step]}";
        var body = step switch
        {
            SetupSteps.Eula =>
                $"<p>{E(Eula)}</p><form method=\"post\" action=\"{action}\">{csrf}" +
                "<label><input type=\"checkbox\" name=\"accept\" value=\"yes\" required> I accept the licence agreement</label><button type=\"submit\">Continue</button></form>",
            SetupSteps.Profile =>
                $"<form method=\"post\" action=\"{action}\" enctype=\"multipart/form-data\">{csrf}" +
                $"<label for=\"server_name\">Server name</label><input type=\"text\" id=\"server_name\" name=\"server_name\" value=\"{E(settings.ServerName)}\" maxlength=\"{SetupRules.MaxServerNameLength}\" required>" +
                "<label for=\"logo\">Logo (an image: PNG, JPEG, GIF, WebP…)</label><input type=\"file\" id=\"logo\" name=\"logo\" accept=\"image/*\">" +
                (branding.Url(settings.Logo) is { } logo ? $"<img class=\"logo\" src=\"{E(logo)}\" alt=\"current logo\">" : "") +
                "<label for=\"icon\">Icon</label><input type=\"file\" id=\"icon\" name=\"icon\" accept=\"image/*\">" +
                "<button type=\"submit\">Continue</button></form>",
            SetupSteps.Licence =>
                $"<form method=\"post\" action=\"{action}\" enctype=\"multipart/form-data\">{csrf}" +
                $"<label><input type=\"radio\" name=\"mode\" value=\"demo\" {(settings.License is null ? "checked" : "")}> Demo mode</label><p class=\"note\">{E(LicenseFile.DemoLimits)}</p>" +
                $"<label><input type=\"radio\" name=\"mode\" value=\"licence\" {(settings.License is null ? "" : "checked")}> Licence file</label>" +
                "<input type=\"file\" id=\"license\" name=\"license\" accept=\".spokes-license\">" +
                (settings.License is { } l ? $"<p class=\"note\">Licensed to {E(l.Licensee)} ({E(l.Edition)}, {l.Seats} seats) until {l.Expires:yyyy-MM-dd}.</p>" : "") +
                "<button type=\"submit\">Continue</button></form>",
            SetupSteps.Network =>
                $"<form method=\"post\" action=\"{action}\">{csrf}" +
                $"<label for=\"public_url\">Public URL</label><input type=\"url\" id=\"public_url\" name=\"public_url\" value=\"{E(settings.Network.PublicUrl ?? api.PublicUrl)}\" required>" +
                $"<label for=\"livekit_tcp\">LiveKit TCP port</label><input type=\"number\" id=\"livekit_tcp\" name=\"livekit_tcp\" value=\"{settings.Network.LiveKitTcpPort}\">" +
                $"<label for=\"livekit_udp_start\">LiveKit UDP ports from</label><input type=\"number\" id=\"livekit_udp_start\" name=\"livekit_udp_start\" value=\"{settings.Network.LiveKitUdpStart}\">" +
                $"<label for=\"livekit_udp_end\">to</label><input type=\"number\" id=\"livekit_udp_end\" name=\"livekit_udp_end\" value=\"{settings.Network.LiveKitUdpEnd}\">" +
                "<button type=\"submit\">Continue</button></form>",
            SetupSteps.Identity => IdentityForm(action, csrf, settings.Identity, settings.Network.PublicUrl),
            _ =>
                (settings.Admins.Count == 0 ? "<p>No administrator yet.</p>" :
                    "<ul id=\"admins\">" + string.Join("", settings.Admins.Select(a => $"<li>{E(a.Email)} ({a.Role.ToString().ToLowerInvariant()})</li>")) + "</ul>") +
                $"<form method=\"post\" action=\"{action}\">{csrf}" +
                "<label for=\"email\">E-mail</label><input type=\"email\" id=\"email\" name=\"email\" required>" +
                "<label for=\"password\">Password</label><input type=\"password\" id=\"password\" name=\"password\" autocomplete=\"new-password\" required>" +
                "<label for=\"role\">Role</label><select id=\"role\" name=\"role\"><option value=\"global\">Global administrator</option><option value=\"organisation\">Organisation administrator</option></select>" +
                "<button type=\"submit\" name=\"action\" value=\"add\">Add administrator</button></form>" +
                $"<form method=\"post\" action=\"{action}\">{csrf}<button type=\"submit\" name=\"action\" value=\"finish\" id=\"finish\">Finish setup</button></form>",
        };
        return Html(context, "Set up Spokes: " + SetupSteps.Titles[step], $"<p>{progress}</p>{Error(error)}{extra}{body}", status, branding.ImageOrigin,
            branding.Url(settings.Icon));
    }

    /// <summary>The identity form, shared by the wizard and the admin page; the client secret is never written back into a page.</summary>
    internal static string IdentityForm(string action, string csrf, IdentitySettings identity, string? publicUrl)
    {
        var oidc = identity.Mode == IdentityMode.Oidc;
        return $"<form method=\"post\" action=\"{action}\">{csrf}" +
               $"<label><input type=\"radio\" name=\"mode\" value=\"builtin\" {(oidc ? "" : "checked")}> Built-in accounts (e-mail and password)</label>" +
               $"<label><input type=\"radio\" name=\"mode\" value=\"oidc\" {(oidc ? "checked" : "")}> External OpenID Connect provider</label>" +
               $"<p class=\"note\">Register <code>{E(publicUrl)}/auth/oidc/callback</code> as the redirect URI at the provider.</p>" +
               $"<label for=\"issuer\">Issuer</label><input type=\"url\" id=\"issuer\" name=\"issuer\" value=\"{E(identity.Oidc?.Issuer)}\">" +
               $"<label for=\"client_id\">Client id</label><input type=\"text\" id=\"client_id\" name=\"client_id\" value=\"{E(identity.Oidc?.ClientId)}\">" +
               "<label for=\"client_secret\">Client secret</label><input type=\"password\" id=\"client_secret\" name=\"client_secret\" autocomplete=\"off\">" +
               $"<label><input type=\"checkbox\" name=\"builtin_accounts\" value=\"yes\" {(identity.BuiltinAccounts ? "checked" : "")}> Keep built-in accounts as well</label>" +
               "<button type=\"submit\" name=\"action\" value=\"test\" id=\"test\">Test login</button> <button type=\"submit\" name=\"action\" value=\"save\" id=\"save\">Save and continue</button></form>";
    }
}
