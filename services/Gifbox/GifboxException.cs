using System.Net;
using System.Runtime.CompilerServices;

namespace Spokes.Gifbox;

/// <summary>A refusal in Stoat's terms, told where it was raised.</summary>
public sealed class GifboxException(string type, HttpStatusCode status, IReadOnlyDictionary<string, object>? fields = null,
    [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) : Exception(type)
{
    public StoatError Error { get; } = new(type, status, fields ?? new Dictionary<string, object>(), StoatError.LocationOf(file, line));

    public static GifboxException NotAuthenticated([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new("NotAuthenticated", HttpStatusCode.Unauthorized, null, file, line);

    public static GifboxException InvalidSession([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new("InvalidSession", HttpStatusCode.Unauthorized, null, file, line);

    /// <summary>No provider key is configured: GIF search is off on this server.</summary>
    public static GifboxException Disabled([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new("FeatureDisabled", HttpStatusCode.BadRequest, new Dictionary<string, object> { ["feature"] = "gifbox" }, file, line);

    public static GifboxException FailedValidation(string error, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new("FailedValidation", HttpStatusCode.BadRequest, new Dictionary<string, object> { ["error"] = error }, file, line);

    /// <summary>The provider failed or answered nonsense: Stoat's Gifbox answers <c>InternalError</c> then.</summary>
    public static GifboxException ProviderFailed([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new("InternalError", HttpStatusCode.InternalServerError, null, file, line);
}
