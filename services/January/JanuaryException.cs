using System.Net;
using System.Runtime.CompilerServices;

namespace Spokes.January;

/// <summary>A refusal in Stoat's terms (every one of January's is a 400 in Stoat), told where it was raised.</summary>
public sealed class JanuaryException(string type, IReadOnlyDictionary<string, object>? fields = null,
    [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) : Exception(type)
{
    public StoatError Error { get; } = new(type, HttpStatusCode.BadRequest, fields ?? new Dictionary<string, object>(), StoatError.LocationOf(file, line));

    /// <summary>The address is refused (a private network, a port not allowed, a scheme other than http(s)): Stoat's blocked-URL answer.</summary>
    public static JanuaryException Refused([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) => new("InvalidOperation", null, file, line);

    /// <summary>The remote server could not be reached, took too long or answered with an error.</summary>
    public static JanuaryException ProxyError([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) => new("ProxyError", null, file, line);

    public static JanuaryException NoEmbedData([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) => new("NoEmbedData", null, file, line);

    public static JanuaryException FileTypeNotAllowed([CallerFilePath] string file = "", [CallerLineNumber] int line = 0) => new("FileTypeNotAllowed", null, file, line);

    public static JanuaryException FailedValidation(string error, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        new("FailedValidation", new Dictionary<string, object> { ["error"] = error }, file, line);
}
