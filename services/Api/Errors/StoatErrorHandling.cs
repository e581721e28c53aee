using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Spokes.Permissions;

namespace Spokes.Api.Errors;

/// <summary>
/// The one place where failures become Stoat's error JSON: domain refusals, permission refusals,
/// unreadable bodies, unknown routes and unexpected faults (answered as <c>InternalError</c>). A client error is
/// logged as one line at information level; a server error as an error with its stack.
/// </summary>
public static class StoatErrorHandling
{
    public static WebApplication UseStoatErrors(this WebApplication app)
    {
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            // A refusal is the client's mistake, told below in one line; only a fault keeps the middleware's error.
            SuppressDiagnosticsCallback = context => IsClientError(AsStoatError(context.Exception)),
            ExceptionHandler = async context =>
            {
                var error = context.Features.Get<IExceptionHandlerFeature>()?.Error;
                var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Spokes.Api.Errors");
                var answer = AsStoatError(error);
                if (IsClientError(answer))
                {
                    logger.LogInformation("Refused {Method} {Path}: {Status} {Type} ({Location})",
                        context.Request.Method, context.Request.Path, (int)answer.Status, answer.Type, answer.Location);
                }
                else
                {
                    logger.LogError(error, "Unhandled error on {Method} {Path}", context.Request.Method, context.Request.Path);
                }
                await WriteAsync(context, answer ?? StoatException.InternalError());
            },
        });
        // Stoat answers unknown routes and methods with its own JSON, not an empty page.
        app.UseStatusCodePages(async status =>
        {
            if (status.HttpContext.Response.StatusCode == (int)HttpStatusCode.MethodNotAllowed)
            {
                await WriteAsync(status.HttpContext, new StoatException("InvalidOperation", HttpStatusCode.MethodNotAllowed));
            }
            else if (status.HttpContext.Response.StatusCode == (int)HttpStatusCode.NotFound)
            {
                await WriteAsync(status.HttpContext, StoatException.NotFound());
            }
        });
        return app;
    }

    /// <summary>The failure in Stoat's terms, or null for one it has no name for.</summary>
    private static StoatException? AsStoatError(Exception? error) => error switch
    {
        StoatException stoat => stoat,
        PermissionDeniedException denied => FromPermission(denied),
        BadHttpRequestException { InnerException: JsonException json } => StoatException.FailedValidation(json.Message),
        BadHttpRequestException bad => StoatException.FailedValidation(bad.Message),
        _ => null,
    };

    private static bool IsClientError([NotNullWhen(true)] StoatException? error) => error is { Status: < HttpStatusCode.InternalServerError };

    private static StoatException FromPermission(PermissionDeniedException denied) => new(
        denied.ErrorType,
        denied.ErrorType == "InvalidOperation" ? HttpStatusCode.BadRequest : HttpStatusCode.Forbidden,
        denied.Permission is { } permission ? new Dictionary<string, object> { ["permission"] = permission } : null);

    public static async Task WriteAsync(HttpContext context, StoatException error)
    {
        var body = new Dictionary<string, object> { ["type"] = error.Type };
        foreach (var (key, value) in error.Fields) body[key] = value;
        body["location"] = error.Location;
        context.Response.StatusCode = (int)error.Status;
        await context.Response.WriteAsJsonAsync(body);
    }
}
