using Spokes.Api.Storage;

namespace Spokes.Api.Encryption;

/// <summary>Integration events wait in the store sealed under the outbox's key (bound to their entry id): a message's event carries its content.</summary>
public sealed class EncryptedOutboxStore(IOutboxStore inner, ContentKeys keys) : IOutboxStore
{
    public async Task<IReadOnlyList<OutboxEntry>> PendingAsync(int limit, CancellationToken cancellationToken = default)
    {
        var entries = await inner.PendingAsync(limit, cancellationToken);
        if (entries.Count == 0) return entries;
        var key = await keys.OutboxKeyAsync(cancellationToken);
        return entries.Select(e => e with { Body = SealedBox.OpenText(key, e.Body, SealedFields.OutboxBody(e.Id)) }).ToList();
    }

    public Task CompleteAsync(IReadOnlyCollection<Guid> ids, CancellationToken cancellationToken = default) => inner.CompleteAsync(ids, cancellationToken);

    /// <summary>The entries as the store keeps them.</summary>
    public static async Task<IReadOnlyList<OutboxEntry>> SealAsync(ContentKeys keys, IReadOnlyList<OutboxEntry> entries, CancellationToken cancellationToken)
    {
        if (entries.Count == 0) return entries;
        var key = await keys.OutboxKeyAsync(cancellationToken);
        return entries.Select(e => e with { Body = SealedBox.SealText(key, e.Body, SealedFields.OutboxBody(e.Id)) }).ToList();
    }
}
