using Microsoft.AspNetCore.Http.HttpResults;
using Spokes.Api.Errors;
using Spokes.Api.Models;
using Spokes.Api.Setup;
using static Spokes.Api.Setup.WebPage;

namespace Spokes.Api.Oidc;

/// <summary>
/// <c>/auth/oidc</c>: the browser's way through the external provider, and the exchange by which a Stoat client
/// turns the handoff code shown at the end into the same session answer as <c>/auth/session/login</c>.
/// </summary>
public static class OidcApi
{
    public sealed record ExchangeRequest(string? Code);

    public static IEndpointRouteBuilder MapOidcApi(this IEndpointRouteBuilder app)
    {
        var oidc = app.MapGroup("/auth/oidc").ExcludeFromDescription();
        oidc.MapGet("/login", Login);
        oidc.MapGet("/callback", Callback);
        oidc.MapPost("/exchange", Exchange);
        return app;
    }

    public static async Task<IResult> Login(HttpContext context, OidcLogin logins, CancellationToken cancellationToken)
    {
        try
        {
            var authorize = await logins.BeginLoginAsync(context, cancellationToken);
            ApplyHeaders(context.Response);
            return Results.Redirect(authorize);
        }
        catch (OidcLoginException e)
        {
            return Html(context, "Login failed", Error(e.Message), StatusCodes.Status400BadRequest);
        }
    }

    public static async Task<IResult> Callback(HttpContext context, OidcLogin logins, string? state, string? code, string? error, CancellationToken cancellationToken)
    {
        try
        {
            var outcome = await logins.CompleteAsync(context, state, code, error, cancellationToken);
            if (outcome.Test)
            {
                return Html(context, "Test login succeeded",
                    $"<p id=\"result\">The provider logged in subject <code>{E(outcome.Subject)}</code>{(outcome.Email is null ? "" : $" ({E(outcome.Email)})")}. " +
                    "These settings may now be saved.</p><p><a href=\"/setup?step=4\">Back to setup</a> · <a href=\"/admin\">Back to administration</a></p>");
            }
            return Html(context, "Signed in",
                $"<p>Signed in as <code>{E(outcome.Name ?? outcome.Email ?? outcome.Subject)}</code>.</p>" +
                $"<p>Your one-time login code, valid for two minutes: <code id=\"handoff\">{E(outcome.HandoffCode)}</code></p>" +
                "<p class=\"note\">Give it to your Stoat client (it exchanges it at <code>POST /api/auth/oidc/exchange</code> for a session). It works once.</p>");
        }
        catch (OidcLoginException e)
        {
            return Html(context, "Login failed", Error(e.Message), StatusCodes.Status400BadRequest);
        }
    }

    /// <summary>The session behind a handoff code, once: the same answer as a password login's.</summary>
    public static async Task<Ok<LoginSuccess>> Exchange(ExchangeRequest? body, OidcLogin logins)
    {
        if (body?.Code is not { } code) throw StoatException.FailedValidation("code: the handoff code is required.");
        return TypedResults.Ok(await logins.ExchangeAsync(code) ?? throw StoatException.InvalidToken());
    }
}
