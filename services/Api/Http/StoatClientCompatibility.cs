using Microsoft.Net.Http.Headers;

namespace Spokes.Api.Http;

public static class StoatClientCompatibility
{
    /// <summary>
    /// Stoat's clients (npm <c>stoat-api</c>) send JSON bodies through <c>fetch</c> as plain strings, which
    /// arrive as <c>text/plain</c> or with no type at all; Stoat's server reads them as JSON regardless. So
    /// does this one: such a body is treated as the JSON it is. Any other declared type is left alone.
    /// Must run before routing, which refuses (415) a body type an endpoint does not accept.
    /// </summary>
    public static IApplicationBuilder UseStoatJsonBodies(this IApplicationBuilder app)
    {
        app.Use((context, next) =>
        {
            var request = context.Request;
            var hasBody = request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0;
            if (hasBody && (string.IsNullOrEmpty(request.ContentType)
                            || (MediaTypeHeaderValue.TryParse(request.ContentType, out var type) && type.MediaType.Equals("text/plain", StringComparison.OrdinalIgnoreCase))))
            {
                request.ContentType = "application/json; charset=utf-8";
            }
            return next(context);
        });
        return app;
    }
}
