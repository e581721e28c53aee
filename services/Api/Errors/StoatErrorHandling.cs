using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Spokes.Permissions;

namespace Spokes.Api.Errors;

/// <summary>
/// The one place where failures become Stoat's error JSON: domain refusals, permission refusals,
/// unreadable bodies, unknown routes and unexpected faults (logged, answered as <c>InternalError</c>).
/// </summary>
public static class StoatErrorHandling
{
    public static WebApplication UseStoatErrors(this WebApplication app)
    {
        app.UseExceptionHandler(handler => handler.Run(async context =>
        {
            var error = context.Features.Get<IExceptionHandlerFeature>()?.Error;
            var refusal = error switch
            {
                StoatException stoat => stoat,
                PermissionDeniedException denied => FromPermission(denied),
                BadHttpRequestException { InnerException: JsonException json } => StoatException.FailedValidation(json.Message),
                BadHttpRequestException bad => StoatException.FailedValidation(bad.Message),
                _ => null,
            };
            if (refusal is null)
            {
                context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Spokes.Api.Errors")
                    .LogError(error, "Unhandled error on {Method} {Path}", context.Request.Method, context.Request.Path);
                refusal = StoatException.InternalError();
            }
            await WriteAsync(context, refusal);
        }));
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
