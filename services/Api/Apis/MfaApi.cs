using Microsoft.AspNetCore.Http.HttpResults;
using Spokes.Api.Errors;
using Spokes.Api.Identity;
using Spokes.Api.Models;
using Spokes.Api.Storage;

namespace Spokes.Api.Apis;

/// <summary>Stoat's <c>/auth/mfa</c> routes: second factors and the tickets that prove one was just given.</summary>
public static class MfaApi
{
    public static IEndpointRouteBuilder MapMfaApi(this IEndpointRouteBuilder app)
    {
        var mfa = app.MapGroup("/auth/mfa").WithTags("MFA");
        mfa.MapPut("/ticket", CreateTicket).WithName("create_ticket_create_ticket").WithSummary("Create MFA ticket");
        mfa.MapGet("/", FetchStatus).WithName("fetch_status_fetch_status").WithSummary("MFA Status");
        mfa.MapGet("/methods", FetchMethods).WithName("get_mfa_methods_get_mfa_methods").WithSummary("Get MFA Methods");
        mfa.MapPost("/recovery", FetchRecovery).WithName("fetch_recovery_fetch_recovery").WithSummary("Fetch Recovery Codes");
        mfa.MapPatch("/recovery", GenerateRecovery).WithName("generate_recovery_generate_recovery").WithSummary("Generate Recovery Codes");
        mfa.MapPost("/totp", GenerateTotpSecret).WithName("totp_generate_secret_totp_generate_secret").WithSummary("Generate TOTP Secret");
        mfa.MapPut("/totp", EnableTotp).WithName("totp_enable_totp_enable").WithSummary("Enable TOTP 2FA");
        mfa.MapDelete("/totp", DisableTotp).WithName("totp_disable_totp_disable").WithSummary("Disable TOTP 2FA");
        return app;
    }

    /// <summary>Answered with a session, or with the unvalidated ticket of a login that owes its second factor.</summary>
    public static async Task<Ok<MfaTicket>> CreateTicket(MfaResponse response, HttpContext context, MfaService mfa, CancellationToken cancellationToken)
    {
        var token = context.Request.Headers[ValidatedMfaTicket.Header].ToString();
        if (token.Length > 0)
        {
            var pending = await mfa.FindAsync(token, cancellationToken);
            if (pending is not { Validated: false }) throw StoatException.InvalidToken();
            return TypedResults.Ok(await mfa.CreateValidatedTicketAsync(pending.AccountId, pending, response, context.Connection.RemoteIpAddress, cancellationToken));
        }
        var session = (await CurrentSession.BindAsync(context)).Session;
        return TypedResults.Ok(await mfa.CreateValidatedTicketAsync(session.UserId, null, response, context.Connection.RemoteIpAddress, cancellationToken));
    }

    public static async Task<Ok<MultiFactorStatus>> FetchStatus(CurrentSession current, MfaService mfa, CancellationToken cancellationToken) =>
        TypedResults.Ok(await mfa.StatusAsync(current.Session.UserId, cancellationToken));

    public static async Task<Ok<IReadOnlyList<string>>> FetchMethods(CurrentSession current, MfaService mfa, CancellationToken cancellationToken) =>
        TypedResults.Ok(await mfa.MethodsAsync(current.Session.UserId, cancellationToken));

    public static async Task<Ok<IReadOnlyList<string>>> FetchRecovery(ValidatedMfaTicket ticket, MfaService mfa, CancellationToken cancellationToken) =>
        TypedResults.Ok(await mfa.RecoveryCodesAsync(ticket.Session.UserId, cancellationToken));

    public static async Task<Ok<IReadOnlyList<string>>> GenerateRecovery(ValidatedMfaTicket ticket, MfaService mfa, CancellationToken cancellationToken) =>
        TypedResults.Ok(await mfa.RegenerateRecoveryCodesAsync(ticket.Session.UserId, cancellationToken));

    public static async Task<Ok<TotpSecretResponse>> GenerateTotpSecret(ValidatedMfaTicket ticket, MfaService mfa, CancellationToken cancellationToken) =>
        TypedResults.Ok(new TotpSecretResponse(await mfa.GenerateTotpSecretAsync(ticket.Session.UserId, cancellationToken)));

    public static async Task<NoContent> EnableTotp(MfaResponse response, CurrentSession current, MfaService mfa, CancellationToken cancellationToken)
    {
        await mfa.EnableTotpAsync(current.Session.UserId, response, cancellationToken);
        return TypedResults.NoContent();
    }

    public static async Task<NoContent> DisableTotp(ValidatedMfaTicket ticket, MfaService mfa, CancellationToken cancellationToken)
    {
        await mfa.DisableTotpAsync(ticket.Session.UserId, cancellationToken);
        return TypedResults.NoContent();
    }
}
