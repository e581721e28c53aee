namespace Spokes.Autumn.Files;

/// <summary>
/// Where an upload goes and what it may be, as Stoat's Autumn tags: every tag but <c>attachments</c> takes images
/// only, and each has a preview box (aspect ratio kept). Avatars and icons preview animations as a still frame.
/// </summary>
public sealed record FileTag(string Name, int PreviewWidth, int PreviewHeight, bool ImagesOnly, bool StillPreview)
{
    public static readonly IReadOnlyDictionary<string, FileTag> All = new[]
    {
        new FileTag("attachments", 1280, 1280, ImagesOnly: false, StillPreview: false),
        new FileTag("avatars", 128, 128, ImagesOnly: true, StillPreview: true),
        new FileTag("backgrounds", 1280, 720, ImagesOnly: true, StillPreview: false),
        new FileTag("icons", 128, 128, ImagesOnly: true, StillPreview: true),
        new FileTag("banners", 480, 480, ImagesOnly: true, StillPreview: false),
        new FileTag("emojis", 128, 128, ImagesOnly: true, StillPreview: false),
    }.ToDictionary(tag => tag.Name, StringComparer.Ordinal);

    /// <summary>The tag named in a path; routes take only known tags, so any other is not found.</summary>
    public static FileTag Parse(string name) => All.TryGetValue(name, out var tag) ? tag : throw AutumnErrors.NotFound();
}
