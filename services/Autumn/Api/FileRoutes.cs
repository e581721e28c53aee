using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Spokes.Autumn.Files;

namespace Spokes.Autumn.Api;

/// <summary>Stoat's Autumn routes (crates/services/autumn/src/api.rs): upload, preview, original, and the moderators' original.</summary>
public static class FileRoutes
{
    /// <summary>Stoat's cache header for files and previews: they never change once uploaded.</summary>
    public const string PublicCache = "public, max-age=604800, must-revalidate";

    private const string ModeratorCache = "private, max-age=300, must-revalidate";

    // What a multipart body may add around the file itself (boundaries, part headers).
    private const long MultipartOverhead = 64 * 1024;

    public sealed record UploadResponse(string Id);

    public static IEndpointRouteBuilder MapFileRoutes(this IEndpointRouteBuilder app)
    {
        app.MapPost("/{tag:autumnTag}", Upload).WithName("autumn_upload").WithSummary("Upload a file").DisableAntiforgery();
        app.MapGet("/{tag:autumnTag}/{id}", FetchPreview).WithName("autumn_preview").WithSummary("Fetch a file's preview");
        app.MapGet("/{tag:autumnTag}/{id}/{filename}", FetchOriginal).WithName("autumn_original").WithSummary("Fetch the original file");
        app.MapGet("/mod/{tag:autumnTag}/{id}/{filename}", FetchForModerator).WithName("autumn_moderator_original")
            .WithSummary("Fetch the original file (operators, X-Admin-Token)");
        return app;
    }

    private static async Task<UploadResponse> Upload(string tag, HttpRequest request, ISessionAuthenticator sessions, UploadPipeline pipeline,
        CancellationToken cancellationToken)
    {
        var uploaderId = await sessions.AuthenticateAsync(request, cancellationToken);
        var fileTag = FileTag.Parse(tag);
        var limit = pipeline.LimitOf(fileTag);
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodyLimit)
        {
            bodyLimit.MaxRequestBodySize = limit + MultipartOverhead;
        }
        using var upload = await ReceiveFileFieldAsync(request, limit, cancellationToken);
        return new UploadResponse(await pipeline.StoreAsync(upload, fileTag, uploaderId, cancellationToken));
    }

    /// <summary>The multipart field <c>file</c>, streamed to a temporary file; other fields are skipped.</summary>
    private static async Task<ReceivedFile> ReceiveFileFieldAsync(HttpRequest request, long limit, CancellationToken cancellationToken)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var type) || !type.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
            || HeaderUtilities.RemoveQuotes(type.Boundary).Value is not { Length: > 0 and <= 200 } boundary)
        {
            throw AutumnErrors.FailedValidation("Expected a multipart/form-data body with a `file` field.");
        }
        var reader = new MultipartReader(boundary, request.Body);
        while (await reader.ReadNextSectionAsync(cancellationToken) is { } section)
        {
            if (ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
                && disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase) && HeaderUtilities.RemoveQuotes(disposition.Name).Value == "file")
            {
                var filename = HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).Value;
                return await UploadPipeline.ReceiveAsync(section.Body, string.IsNullOrWhiteSpace(filename) ? "unnamed-file" : filename, limit, cancellationToken);
            }
        }
        throw AutumnErrors.FailedValidation("The multipart body has no `file` field.");
    }

    private static async Task<IResult> FetchPreview(string tag, string id, FileReader files, CancellationToken cancellationToken)
    {
        var fileTag = FileTag.Parse(tag);
        var served = await files.FindAsync(fileTag, id, moderator: false, cancellationToken);
        var preview = await files.PreviewAsync(served, fileTag, cancellationToken);
        // Relative, so it holds behind the Gateway's /autumn prefix: /autumn/{tag}/{id} → /autumn/{tag}/{id}/{filename}.
        if (preview.UseOriginal) return Results.Redirect($"{Uri.EscapeDataString(id)}/{Uri.EscapeDataString(served.File.Filename)}", permanent: true);
        return new ServedBytes(preview.Webp!, "image/webp", "inline", PublicCache);
    }

    private static Task<IResult> FetchOriginal(string tag, string id, string filename, FileReader files, CancellationToken cancellationToken) =>
        ServeOriginalAsync(tag, id, filename, files, moderator: false, cancellationToken);

    private static Task<IResult> FetchForModerator(string tag, string id, string filename, HttpRequest request, FileReader files,
        IOptions<AutumnOptions> options, CancellationToken cancellationToken)
    {
        var presented = Encoding.UTF8.GetBytes(request.Headers["X-Admin-Token"].ToString());
        if (presented.Length == 0 || !options.Value.AdminKeys.Any(key => key.Length > 0 && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(key), presented)))
        {
            throw AutumnErrors.NotAuthenticated();
        }
        return ServeOriginalAsync(tag, id, filename, files, moderator: true, cancellationToken);
    }

    private static async Task<IResult> ServeOriginalAsync(string tag, string id, string filename, FileReader files, bool moderator,
        CancellationToken cancellationToken)
    {
        var served = await files.FindAsync(FileTag.Parse(tag), id, moderator, cancellationToken);
        if (filename != served.File.Filename)
        {
            // `original` stands for the file's own name, as in Stoat; a relative address keeps the Gateway's prefix.
            if (filename == "original") return Results.Redirect(Uri.EscapeDataString(served.File.Filename), permanent: true);
            throw AutumnErrors.NotFound();
        }
        var data = await files.ReadAsync(served.Object, cancellationToken);
        return new ServedBytes(data, served.Object.ContentType, "attachment", moderator ? ModeratorCache : PublicCache);
    }

    /// <summary>File bytes with Stoat's headers; ranges are answered (audio and video seek with them).</summary>
    private sealed class ServedBytes(byte[] data, string contentType, string disposition, string cacheControl) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.ContentDisposition = disposition;
            httpContext.Response.Headers.CacheControl = cacheControl;
            return Results.Bytes(data, contentType, enableRangeProcessing: true).ExecuteAsync(httpContext);
        }
    }
}

/// <summary>
/// Routes exist for Stoat's tags only (<c>{tag:autumnTag}</c>): any other path is an unknown route, <c>NotFound</c>,
/// as for every service behind the Gateway.
/// </summary>
public sealed class FileTagRouteConstraint : IRouteConstraint
{
    public const string Name = "autumnTag";

    public bool Match(HttpContext? httpContext, IRouter? route, string routeKey, RouteValueDictionary values, RouteDirection routeDirection) =>
        values.TryGetValue(routeKey, out var value) && value is string tag && FileTag.All.ContainsKey(tag);
}

/// <summary>
/// Everything Autumn answers, files and errors alike, is never sniffed into another type nor run as a page: a
/// file someone uploaded cannot become script on this origin.
/// </summary>
public static class ServedContentHeaders
{
    public const string ContentSecurityPolicy = "default-src 'none'; sandbox";

    public static WebApplication UseServedContentHeaders(this WebApplication app)
    {
        app.Use((context, next) =>
        {
            context.Response.OnStarting(() =>
            {
                context.Response.Headers.XContentTypeOptions = "nosniff";
                context.Response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
                return Task.CompletedTask;
            });
            return next(context);
        });
        return app;
    }
}
