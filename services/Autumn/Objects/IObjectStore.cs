namespace Spokes.Autumn.Objects;

/// <summary>Where encrypted file objects live, by key (the hex SHA-256 of the upload): S3 or a folder on disk.</summary>
public interface IObjectStore
{
    Task PutAsync(string key, byte[] data, CancellationToken cancellationToken);

    /// <summary>The object, or null when there is none.</summary>
    Task<byte[]?> GetAsync(string key, CancellationToken cancellationToken);

    /// <summary>Removes the object; removing one that is gone is not an error.</summary>
    Task DeleteAsync(string key, CancellationToken cancellationToken);
}

/// <summary>Keys are hex SHA-256 digests; anything else is refused before it can name a path.</summary>
internal static class ObjectKeys
{
    public static string Checked(string key) =>
        key.Length == 64 && key.All(char.IsAsciiHexDigitLower) ? key : throw new ArgumentException($"Not an object key: '{key}'.", nameof(key));
}
