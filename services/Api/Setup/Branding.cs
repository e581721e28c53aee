using Grpc.Core;
using Microsoft.Extensions.Options;
using Spokes.Api.Configuration;
using Spokes.Api.Files;
using FileUse = Spokes.Contracts.Files.V1.FileUse;
using FileUseKind = Spokes.Contracts.Files.V1.FileUseKind;

namespace Spokes.Api.Setup;

/// <summary>The two images of the server profile: the logo (Autumn's tag <c>banners</c>) and the icon (<c>icons</c>).</summary>
public sealed record BrandingKind(string Name, FileUseKind Use)
{
    public static readonly BrandingKind Logo = new("logo", FileUseKind.InstanceLogo);
    public static readonly BrandingKind Icon = new("icon", FileUseKind.InstanceIcon);
}

/// <summary>
/// The server's logo and icon, kept by Autumn: the Api hands it the uploaded bytes over files.proto's Store, which
/// needs no user (the wizard runs before any exists). Autumn checks them as any upload (type sniffed from the bytes,
/// size limit of the tag, images only, pixel limits), re-encodes them without metadata and keeps them claimed, so
/// its cleanup never removes them; the settings keep their ids, and a replaced one is released. Pages show them from
/// Autumn's public address, <c>{public url}/autumn/{tag}/{id}</c>.
/// </summary>
public sealed class Branding(SetupState state, IFileClaims files, IOptionsMonitor<ApiOptions> api, ILogger<Branding> logger)
{
    /// <summary>The id of the use Autumn records for the instance's own files.</summary>
    public const string InstanceUse = "instance";

    /// <summary>The most the Api reads of an upload before handing it on; Autumn's own limits are lower (6 MB for a logo, 2.5 MB for an icon).</summary>
    public const long MaxBytes = 16 * 1024 * 1024;

    /// <summary>
    /// Saves the profile: stores the images given (an empty file input gives none), then the name and their ids, then
    /// releases the images they replace. A refused image changes nothing: one stored before it is released again.
    /// </summary>
    public async Task SaveProfileAsync(string serverName, IFormFile? logo, IFormFile? icon, CancellationToken cancellationToken)
    {
        var newLogo = await StoreIfGivenAsync(BrandingKind.Logo, logo, cancellationToken);
        BrandingImage? newIcon;
        try
        {
            newIcon = await StoreIfGivenAsync(BrandingKind.Icon, icon, cancellationToken);
        }
        catch
        {
            await ReleaseAsync([newLogo]);
            throw;
        }
        ServerSettings before = null!;
        state.Update(s =>
        {
            before = s;
            return s with { ServerName = serverName, Logo = newLogo ?? s.Logo, Icon = newIcon ?? s.Icon };
        });
        await ReleaseAsync([newLogo is null ? null : before.Logo, newIcon is null ? null : before.Icon]);
    }

    /// <summary>Where browsers load <paramref name="image"/>: Autumn's preview of it at the public URL.</summary>
    public string? Url(BrandingImage? image) =>
        image is null ? null : $"{PublicUrl}/autumn/{Uri.EscapeDataString(image.Tag)}/{Uri.EscapeDataString(image.Id)}";

    /// <summary>The origin the pages' images come from, for their Content-Security-Policy.</summary>
    public string ImageOrigin => Uri.TryCreate(PublicUrl, UriKind.Absolute, out var url) ? url.GetLeftPart(UriPartial.Authority) : "'self'";

    private string PublicUrl => api.CurrentValue.PublicUrl.TrimEnd('/');

    /// <summary>
    /// Hands a logo or icon that a version before Autumn kept in the data folder to Autumn, unless one was given since;
    /// then forgets the old file. An image Autumn refuses is dropped with a warning. Throws when Autumn cannot be reached.
    /// </summary>
    public async Task MigrateAsync(BrandingKind kind, string fileName, CancellationToken cancellationToken)
    {
        var path = state.BrandingFolder is { } folder ? Path.Combine(folder, Path.GetFileName(fileName)) : null;
        var current = kind == BrandingKind.Logo ? state.Current.Logo : state.Current.Icon;
        BrandingImage? migrated = null;
        if (current is null && path is not null && File.Exists(path))
        {
            try
            {
                var stored = await files.StoreAsync(new FileUse { Kind = kind.Use, Id = InstanceUse }, Path.GetFileName(path),
                    await File.ReadAllBytesAsync(path, cancellationToken), cancellationToken);
                migrated = new BrandingImage(stored.Tag, stored.Id);
            }
            catch (FileRefusedException refused)
            {
                logger.LogWarning("The {Kind} kept in {Path} was not moved into Autumn, which refused it ({Reason}); set it again on the admin page.",
                    kind.Name, path, refused.Type);
            }
        }
        state.Update(s => kind == BrandingKind.Logo
            ? s with { Logo = s.Logo ?? migrated, LogoFile = null }
            : s with { Icon = s.Icon ?? migrated, IconFile = null });
        if (path is null) return;
        File.Delete(path);
        if (Directory.Exists(state.BrandingFolder) && !Directory.EnumerateFileSystemEntries(state.BrandingFolder).Any()) Directory.Delete(state.BrandingFolder);
    }

    private async Task<BrandingImage?> StoreIfGivenAsync(BrandingKind kind, IFormFile? file, CancellationToken cancellationToken)
    {
        // A file input left empty still sends a part, without a file name.
        if (file is null || (file.Length == 0 && string.IsNullOrEmpty(file.FileName))) return null;
        if (file.Length > MaxBytes) throw new SetupAnswerException($"The {kind.Name} is too large: at most {Megabytes(MaxBytes)}.");
        using var buffer = new MemoryStream((int)file.Length);
        await file.CopyToAsync(buffer, cancellationToken);
        var name = Path.GetFileName(file.FileName) is { Length: > 0 } given ? given : kind.Name;
        try
        {
            var stored = await files.StoreAsync(new FileUse { Kind = kind.Use, Id = InstanceUse }, name, buffer.GetBuffer().AsMemory(0, (int)buffer.Length),
                cancellationToken);
            return new BrandingImage(stored.Tag, stored.Id);
        }
        catch (FileRefusedException refused)
        {
            throw new SetupAnswerException(refused.Type switch
            {
                "FileTooSmall" => $"The {kind.Name} file is empty.",
                "FileTooLarge" => $"The {kind.Name} is too large: at most {Megabytes(refused.Max ?? 0)}.",
                "FileTypeNotAllowed" => $"The {kind.Name} must be an image (PNG, JPEG, GIF or WebP, for example) of at most 10,000 pixels a side.",
                _ => $"The file server refused the {kind.Name} ({refused.Type}).",
            });
        }
        catch (FileServerUnavailableException)
        {
            throw new SetupAnswerException($"The {kind.Name} cannot be stored now: Autumn, the file server, is not answering. Try again in a moment.");
        }
    }

    private static string Megabytes(long bytes) => $"{bytes / 1_000_000.0:0.#} MB";

    /// <summary>Releases replaced or abandoned images; one Autumn cannot release now stays stored, which harms nothing but space.</summary>
    private async Task ReleaseAsync(IEnumerable<BrandingImage?> images)
    {
        var ids = images.OfType<BrandingImage>().Select(i => i.Id).ToList();
        if (ids.Count == 0) return;
        try
        {
            await files.ReleaseAsync(ids, CancellationToken.None);
        }
        catch (RpcException e)
        {
            logger.LogWarning(e, "Autumn did not release the replaced branding files {Ids}.", ids);
        }
    }
}
