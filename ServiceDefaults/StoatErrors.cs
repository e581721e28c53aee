using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// A failure as Stoat tells it: the body <c>{"type": Type, ...Fields, "location": Location}</c> with the status Stoat
/// gives that type (crates/core/result/src/rocket.rs). <see cref="Location"/> is where it was raised,
/// <c>services/Api/…cs:line</c>, as Stoat reports <c>crates/…rs:line</c>.
/// </summary>
public sealed record StoatError(string Type, HttpStatusCode Status, IReadOnlyDictionary<string, object> Fields, string Location)
{
    private static readonly IReadOnlyDictionary<string, object> NoFields = new Dictionary<string, object>();

    public static StoatError Raised(string type, HttpStatusCode status, IReadOnlyDictionary<string, object>? fields = null,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) => new(type, status, fields ?? NoFields, LocationOf(file, line));

    /// <summary>A source line as a path from the repository's root: <c>services/Api/Errors/StoatException.cs:12</c>.</summary>
    public static string LocationOf(string file, int line)
    {
        var path = file.Replace('\\', '/');
        var start = Math.Max(path.LastIndexOf("/services/", StringComparison.Ordinal), path.LastIndexOf("/ServiceDefaults/", StringComparison.Ordinal));
        return $"{(start >= 0 ? path[(start + 1)..] : Path.GetFileName(path))}:{line}";
    }

    public bool IsClientError => Status < HttpStatusCode.InternalServerError;

    public async Task WriteAsync(HttpContext context)
    {
        var body = new Dictionary<string, object> { ["type"] = Type };
        foreach (var (key, value) in Fields) body[key] = value;
        body["location"] = Location;
        context.Response.StatusCode = (int)Status;
        await context.Response.WriteAsJsonAsync(body);
    }
}

/// <summary>Names a service's own exceptions in Stoat's terms; null for one it does not know.</summary>
public delegate StoatError? StoatErrorTranslation(Exception exception);

/// <summary>
/// Every failure a Stoat client can meet answered as Stoat's error JSON, by each service behind the Gateway and by
/// the Gateway itself: unknown routes (<c>NotFound</c>), methods a route does not take (<c>InvalidOperation</c>,
/// 405), unreadable bodies (<c>FailedValidation</c>), bodies over the server's limit (<c>PayloadTooLarge</c>, 413),
/// the service's own refusals (its <see cref="StoatErrorTranslation"/>) and unexpected faults (<c>InternalError</c>).
/// A client error is logged as one line at information level; a fault as an error with its stack.
/// </summary>
public static class StoatErrorDefaults
{
    /// <summary>
    /// Has minimal APIs report unreadable bodies to the handling rather than answer an empty 400 themselves, and names
    /// the service's own exceptions with <paramref name="translation"/>. <see cref="UseStoatErrors"/> puts the handling
    /// in the pipeline.
    /// </summary>
    public static TBuilder AddStoatErrors<TBuilder>(this TBuilder builder, StoatErrorTranslation? translation = null)
        where TBuilder : IHostApplicationBuilder
    {
        builder.Services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        builder.Services.AddSingleton<StoatErrorTranslation>(translation ?? (_ => null));
        return builder;
    }

    /// <summary>
    /// The handling, as the first middleware of the service's own: after it, anything that fails or answers an empty
    /// error is told in Stoat's terms.
    /// </summary>
    public static WebApplication UseStoatErrors(this WebApplication app)
    {
        var translation = app.Services.GetService<StoatErrorTranslation>()
            ?? throw new InvalidOperationException("Call builder.AddStoatErrors() before app.UseStoatErrors().");
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger($"{app.Environment.ApplicationName}.Errors");
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            // A refusal is the client's mistake, told below in one line; only a fault keeps the middleware's error.
            SuppressDiagnosticsCallback = context => Translate(context.Exception, translation) is { IsClientError: true },
            ExceptionHandler = async context =>
            {
                var error = context.Features.Get<IExceptionHandlerFeature>()?.Error;
                var answer = Translate(error, translation);
                if (answer is { IsClientError: true })
                {
                    logger.LogInformation("Refused {Method} {Path}: {Status} {Type} ({Location})",
                        context.Request.Method, context.Request.Path, (int)answer.Status, answer.Type, answer.Location);
                }
                else
                {
                    logger.LogError(error, "Unhandled error on {Method} {Path}", context.Request.Method, context.Request.Path);
                }
                await (answer ?? StoatError.Raised("InternalError", HttpStatusCode.InternalServerError)).WriteAsync(context);
            },
        });
        // An error status with no body of its own (no route, no such method, a body refused by the server or the
        // Gateway's proxy) gets Stoat's JSON rather than an empty page; an answer that has a body keeps it.
        app.UseStatusCodePages(async status =>
        {
            if (BareStatus(status.HttpContext.Response.StatusCode) is { } error) await error.WriteAsync(status.HttpContext);
        });
        return app;
    }

    private static StoatError? BareStatus(int status) => status switch
    {
        StatusCodes.Status404NotFound => StoatError.Raised("NotFound", HttpStatusCode.NotFound),
        StatusCodes.Status405MethodNotAllowed => StoatError.Raised("InvalidOperation", HttpStatusCode.MethodNotAllowed),
        StatusCodes.Status413PayloadTooLarge => PayloadTooLarge(),
        StatusCodes.Status400BadRequest => FailedValidation("The request could not be read."),
        // A body the route cannot read as JSON (a form, say) is a failed validation, as Stoat's own routes tell it.
        StatusCodes.Status415UnsupportedMediaType => FailedValidation("The body must be JSON."),
        // The Gateway's proxy when a service is down or too slow; a service's own bare unavailability alike.
        StatusCodes.Status502BadGateway or StatusCodes.Status503ServiceUnavailable or StatusCodes.Status504GatewayTimeout =>
            StoatError.Raised("InternalError", (HttpStatusCode)status),
        _ => null,
    };

    /// <summary>The failure in Stoat's terms, or null for one it has no name for.</summary>
    private static StoatError? Translate(Exception? error, StoatErrorTranslation translation) => error switch
    {
        null => null,
        _ when translation(error) is { } named => named,
        BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } => PayloadTooLarge(),
        BadHttpRequestException { InnerException: JsonException json } => FailedValidation(json.Message),
        BadHttpRequestException bad => FailedValidation(bad.Message),
        _ => null,
    };

    // Stoat's own refusal of a body over its limit is Rocket's 413; its PayloadTooLarge names the same fault.
    private static StoatError PayloadTooLarge() => StoatError.Raised("PayloadTooLarge", HttpStatusCode.RequestEntityTooLarge);

    private static StoatError FailedValidation(string error) =>
        StoatError.Raised("FailedValidation", HttpStatusCode.BadRequest, new Dictionary<string, object> { ["error"] = error });
}
