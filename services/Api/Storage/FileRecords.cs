using System.Text.Json.Serialization;

namespace Spokes.Api.Storage;

/// <summary>Stoat's <c>Metadata</c>: what kind of file it is; images and videos also carry their size in pixels.</summary>
public sealed record FileMetadata(string Type, int? Width = null, int? Height = null);

/// <summary>
/// Stoat's <c>File</c>, as objects that use an uploaded file embed it (a message's attachments, a user's avatar, a
/// server's icon…). Autumn keeps the file itself; this copy is what it answered when the file was claimed, with the id
/// of what uses it (<c>message_id</c>, <c>user_id</c>, <c>server_id</c> or <c>object_id</c>, as Stoat's schema has them).
/// </summary>
public sealed record AutumnFile(
    [property: JsonPropertyName("_id")] string Id,
    string Tag,
    string Filename,
    FileMetadata Metadata,
    string ContentType,
    long Size,
    string? MessageId = null,
    string? UserId = null,
    string? ServerId = null,
    string? ObjectId = null);
