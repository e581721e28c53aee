namespace Spokes.Api.Storage;

/// <summary>
/// The key material kept beside the data it opens (see Encryption/): the master key header and each data key,
/// wrapped under the master key. Nothing here opens anything without the master password.
/// </summary>
public interface IKeyringStore
{
    Task<string?> GetAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Stores <paramref name="value"/> unless the entry exists; returns the entry as stored (the first writer's).</summary>
    Task<string> AddAsync(string id, string value, CancellationToken cancellationToken = default);

    Task<IReadOnlyDictionary<string, string>> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>Writes the entries over any there: in one transaction with SQLite, entry by entry in their order with MongoDB.</summary>
    Task ReplaceAsync(IReadOnlyDictionary<string, string> entries, CancellationToken cancellationToken = default);

    /// <summary>Whether the store holds any channel: one that does, with no master key header, was written before encryption at rest.</summary>
    Task<bool> HoldsChannelsAsync(CancellationToken cancellationToken = default);
}
