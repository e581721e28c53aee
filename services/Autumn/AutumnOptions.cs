namespace Spokes.Autumn;

/// <summary>Autumn's settings (section <c>Autumn</c>); the defaults are Stoat's (crates/core/config/Revolt.toml).</summary>
public sealed class AutumnOptions
{
    public const string SectionName = "Autumn";

    /// <summary>AES-256-GCM key for files at rest: base64 of 32 bytes. Losing it loses every file.</summary>
    public string EncryptionKey { get; set; } = "";

    /// <summary>Keys that open <c>GET /mod/…</c> (header <c>X-Admin-Token</c>), as Stoat's <c>api.security.admin_keys</c>.</summary>
    public List<string> AdminKeys { get; set; } = [];

    /// <summary>Largest upload per tag, in bytes (Stoat's <c>file_upload_size_limit</c>).</summary>
    public Dictionary<string, long> SizeLimits { get; set; } = new()
    {
        ["attachments"] = 20_000_000,
        ["avatars"] = 4_000_000,
        ["backgrounds"] = 6_000_000,
        ["icons"] = 2_500_000,
        ["banners"] = 6_000_000,
        ["emojis"] = 500_000,
    };

    /// <summary>Content types refused on upload (sniffed from the bytes), e.g. <c>application/x-msdownload</c>.</summary>
    public List<string> BlockedMimeTypes { get; set; } = [];

    public long MaxImagePixels { get; set; } = 40_000_000;

    public int MaxImageSide { get; set; } = 10_000;

    /// <summary>WebP quality of previews.</summary>
    public int WebpQuality { get; set; } = 80;

    /// <summary>Memory the preview cache may hold, in bytes.</summary>
    public long PreviewCacheBytes { get; set; } = 64 * 1024 * 1024;

    /// <summary>The S3 bucket (S3 stores only), as Stoat's <c>files.s3.default_bucket</c>.</summary>
    public string Bucket { get; set; } = "revolt-uploads";
}
