using System.Net;

namespace Spokes.Autumn.Files;

/// <summary>A refusal in Stoat's terms (crates/core/result), told to the client by <see cref="AutumnErrors.Translate"/>.</summary>
public sealed class AutumnException(StoatError error) : Exception(error.Type)
{
    public StoatError Error { get; } = error;
}

/// <summary>Autumn's refusals, with Stoat's names and statuses.</summary>
public static class AutumnErrors
{
    public static AutumnException NotAuthenticated() => Raise("NotAuthenticated", HttpStatusCode.Unauthorized);

    public static AutumnException InvalidSession() => Raise("InvalidSession", HttpStatusCode.Unauthorized);

    public static AutumnException NotFound() => Raise("NotFound", HttpStatusCode.NotFound);

    public static AutumnException FileTooSmall() => Raise("FileTooSmall", HttpStatusCode.UnprocessableEntity);

    public static AutumnException FileTooLarge(long max) =>
        Raise("FileTooLarge", HttpStatusCode.UnprocessableEntity, new Dictionary<string, object> { ["max"] = max });

    public static AutumnException FileTypeNotAllowed() => Raise("FileTypeNotAllowed", HttpStatusCode.BadRequest);

    public static AutumnException FailedValidation(string error) =>
        Raise("FailedValidation", HttpStatusCode.BadRequest, new Dictionary<string, object> { ["error"] = error });

    public static StoatError? Translate(Exception exception) => (exception as AutumnException)?.Error;

    private static AutumnException Raise(string type, HttpStatusCode status, IReadOnlyDictionary<string, object>? fields = null,
        [System.Runtime.CompilerServices.CallerFilePath] string file = "", [System.Runtime.CompilerServices.CallerLineNumber] int line = 0) =>
        new(new StoatError(type, status, fields ?? new Dictionary<string, object>(), StoatError.LocationOf(file, line)));
}
