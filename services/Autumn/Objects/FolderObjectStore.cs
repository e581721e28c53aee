namespace Spokes.Autumn.Objects;

/// <summary>
/// Objects as files in a folder (the local profile), in subfolders by the key's first two characters. A write
/// goes to a temporary name first, so a reader never sees half an object.
/// </summary>
public sealed class FolderObjectStore(string folder) : IObjectStore
{
    public string Folder { get; } = Path.GetFullPath(folder);

    public async Task PutAsync(string key, byte[] data, CancellationToken cancellationToken)
    {
        var path = PathOf(key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = $"{path}.{Guid.NewGuid():N}.partial";
        await File.WriteAllBytesAsync(temporary, data, cancellationToken);
        File.Move(temporary, path, overwrite: true);
    }

    public async Task<byte[]?> GetAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            return await File.ReadAllBytesAsync(PathOf(key), cancellationToken);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    public Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        File.Delete(PathOf(key));
        return Task.CompletedTask;
    }

    private string PathOf(string key)
    {
        ObjectKeys.Checked(key);
        return Path.Combine(Folder, key[..2], key);
    }
}
