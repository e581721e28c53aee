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

/// <summary>
/// The content of a store as the provider holds it, read in batches across every channel, for sealing a database
/// written before encryption at rest (Encryption/PlaintextMigration.cs). Writes go through the provider's own stores.
/// </summary>
public interface IPlaintextContentStore
{
    /// <summary>Messages of every channel in id order, the first <paramref name="limit"/> after <paramref name="afterId"/> ("" for the start).</summary>
    Task<IReadOnlyList<Message>> MessagesAfterAsync(string afterId, int limit, CancellationToken cancellationToken = default);

    /// <summary>Channels of every kind in id order, the first <paramref name="limit"/> after <paramref name="afterId"/> ("" for the start).</summary>
    Task<IReadOnlyList<Channel>> ChannelsAfterAsync(string afterId, int limit, CancellationToken cancellationToken = default);

    /// <summary>Every outbox entry still waiting.</summary>
    Task<IReadOnlyList<OutboxEntry>> OutboxAsync(CancellationToken cancellationToken = default);

    Task ReplaceOutboxBodyAsync(Guid id, string body, CancellationToken cancellationToken = default);

    /// <summary>Rewrites the files so that no overwritten value lingers in free pages, an old search index or a journal.</summary>
    Task CompactAsync(CancellationToken cancellationToken = default);
}
