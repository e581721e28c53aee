using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Http.HttpResults;
using Spokes.Api.Identity;
using Spokes.Api.Models;
using Spokes.Api.Storage;

namespace Spokes.Api.Apis;

/// <summary>Stoat's <c>/auth/account</c> and <c>/auth/session</c> routes (authifier).</summary>
public static class AuthApi
{
    public static IEndpointRouteBuilder MapAuthApi(this IEndpointRouteBuilder app)
    {
        var account = app.MapGroup("/auth/account").WithTags("Account");
        account.MapPost("/create", CreateAccount).WithName("create_account_create_account").WithSummary("Create Account");
        account.MapGet("/", FetchAccount).WithName("fetch_account_fetch_account").WithSummary("Fetch Account");
        account.MapPatch("/change/password", ChangePassword).WithName("change_password_change_password").WithSummary("Change Password");
        account.MapPatch("/change/email", ChangeEmail).WithName("change_email_change_email").WithSummary("Change Email");
        account.MapPost("/verify/{code}", VerifyEmail).WithName("verify_email_verify_email").WithSummary("Verify Email");
        account.MapPost("/reverify", ResendVerification).WithName("resend_verification_resend_verification").WithSummary("Resend Verification");
        account.MapPost("/reset_password", SendPasswordReset).WithName("send_password_reset_send_password_reset").WithSummary("Send Password Reset");
        account.MapPatch("/reset_password", ResetPassword).WithName("password_reset_password_reset").WithSummary("Password Reset");
        account.MapPost("/disable", DisableAccount).WithName("disable_account_disable_account").WithSummary("Disable Account");
        account.MapPost("/delete", DeleteAccount).WithName("delete_account_delete_account").WithSummary("Delete Account");
        account.MapPut("/delete", ConfirmDeletion).WithName("confirm_deletion_confirm_deletion").WithSummary("Confirm Account Deletion");

        var session = app.MapGroup("/auth/session").WithTags("Session");
        session.MapPost("/login", Login).WithName("login_login").WithSummary("Login");
        session.MapPost("/logout", Logout).WithName("logout_logout").WithSummary("Logout");
        session.MapGet("/all", ListSessions).WithName("fetch_all_fetch_all").WithSummary("Fetch Sessions");
        session.MapDelete("/all", RevokeAllSessions).WithName("revoke_all_revoke_all").WithSummary("Delete All Sessions");
        session.MapPatch("/{id}", EditSession).WithName("edit_edit").WithSummary("Edit Session");
        session.MapDelete("/{id}", RevokeSession).WithName("revoke_revoke").WithSummary("Revoke Session");
        return app;
    }

    public static async Task<NoContent> CreateAccount(CreateAccountRequest request, AccountService accounts, CancellationToken cancellationToken)
    {
        await accounts.CreateAccountAsync(request, cancellationToken);
        return TypedResults.NoContent();
    }

    public static async Task<Ok<AccountInfo>> FetchAccount(CurrentSession current, AccountService accounts, CancellationToken cancellationToken) =>
        TypedResults.Ok(await accounts.FetchAccountAsync(current.Session, cancellationToken));

    public static async Task<NoContent> ChangePassword(ChangePasswordRequest request, CurrentSession current, AccountService accounts, HttpContext context,
        CancellationToken cancellationToken)
    {
        await accounts.ChangePasswordAsync(current.Session, request, context.Connection.RemoteIpAddress, cancellationToken);
        return TypedResults.NoContent();
    }

    public static async Task<NoContent> ChangeEmail(ChangeEmailRequest request, CurrentSession current, AccountService accounts, HttpContext context,
        CancellationToken cancellationToken)
    {
        await accounts.ChangeEmailAsync(current.Session, request, context.Connection.RemoteIpAddress, cancellationToken);
        return TypedResults.NoContent();
    }

    /// <summary>200 with an authorised ticket for a new account, or with <c>null</c> for a change of address, as authifier answers.</summary>
    public static async Task<Results<Ok<VerifyResponse>, ContentHttpResult>> VerifyEmail(string code, EmailVerificationService verification,
        CancellationToken cancellationToken) =>
        await verification.VerifyAsync(code, cancellationToken) is { } withTicket
            ? TypedResults.Ok(withTicket)
            : TypedResults.Content("null", "application/json");

    public static async Task<NoContent> ResendVerification(EmailRequest request, EmailVerificationService verification, CancellationToken cancellationToken)
    {
        await verification.ResendAsync(request, cancellationToken);
        return TypedResults.NoContent();
    }

    public static async Task<NoContent> SendPasswordReset(EmailRequest request, EmailVerificationService verification, CancellationToken cancellationToken)
    {
        await verification.SendPasswordResetAsync(request, cancellationToken);
        return TypedResults.NoContent();
    }

    public static async Task<NoContent> ResetPassword(PasswordResetRequest request, EmailVerificationService verification, HttpContext context,
        CancellationToken cancellationToken)
    {
        await verification.ResetPasswordAsync(request, context.Connection.RemoteIpAddress, cancellationToken);
        return TypedResults.NoContent();
    }

    public static async Task<NoContent> DisableAccount(ValidatedMfaTicket ticket, AccountClosureService closure, CancellationToken cancellationToken)
    {
        await closure.DisableAsync(ticket.Session.UserId, cancellationToken);
        return TypedResults.NoContent();
    }

    public static async Task<NoContent> DeleteAccount(ValidatedMfaTicket ticket, AccountClosureService closure, CancellationToken cancellationToken)
    {
        await closure.RequestDeletionAsync(ticket.Session.UserId, cancellationToken);
        return TypedResults.NoContent();
    }

    public static async Task<NoContent> ConfirmDeletion(AccountDeletionRequest request, AccountClosureService closure, CancellationToken cancellationToken)
    {
        await closure.ConfirmDeletionAsync(request, cancellationToken);
        return TypedResults.NoContent();
    }

    /// <summary>Wrong answers are counted per account and per client address (<see cref="LoginLockout"/>).</summary>
    public static async Task<Ok<object>> Login(LoginRequest request, AccountService accounts, HttpContext context, CancellationToken cancellationToken) =>
        TypedResults.Ok(await accounts.LoginAsync(request, context.Connection.RemoteIpAddress, cancellationToken));

    public static async Task<NoContent> Logout(CurrentSession current, SessionRevocation revocations, CancellationToken cancellationToken)
    {
        await revocations.RevokeAsync(current.Session.UserId, current.Session.Id, cancellationToken);
        return TypedResults.NoContent();
    }

    public static async Task<Ok<List<SessionInfo>>> ListSessions(CurrentSession current, ISessionStore sessions, CancellationToken cancellationToken) =>
        TypedResults.Ok((await sessions.ListAsync(current.Session.UserId, cancellationToken)).Select(s => new SessionInfo(s.Id, s.Name)).ToList());

    public static async Task<NoContent> RevokeAllSessions(CurrentSession current, SessionRevocation revocations,
        [FromQuery(Name = "revoke_self")] bool? revokeSelf, CancellationToken cancellationToken)
    {
        await revocations.RevokeAllAsync(current.Session.UserId, revokeSelf == true ? null : current.Session.Id, cancellationToken);
        return TypedResults.NoContent();
    }

    public static async Task<Ok<SessionInfo>> EditSession(string id, EditSessionRequest request, CurrentSession current, AccountService accounts,
        CancellationToken cancellationToken) =>
        TypedResults.Ok(await accounts.RenameSessionAsync(current.Session, id, request, cancellationToken));

    public static async Task<NoContent> RevokeSession(string id, CurrentSession current, AccountService accounts, CancellationToken cancellationToken)
    {
        await accounts.RevokeSessionAsync(current.Session, id, cancellationToken);
        return TypedResults.NoContent();
    }
}
