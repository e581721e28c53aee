using System.Text.Json;
using Spokes.Api.Storage;

namespace Spokes.Api.Encryption;

/// <summary>
/// Seals a database written before encryption at rest, on its first start with a master password: message content,
/// embeds and the blind index in place of the plain search index, channel descriptions, and waiting outbox bodies;
/// then compacts the files so that no plain value lingers in them. It works in batches and keeps its place in the
/// keyring (<see cref="MarkerId"/>: the stage and the last id sealed), so a start cut short resumes where it was.
/// Each row is rewritten in one write, whole, and a row already sealed is told by opening it (a plain value never
/// opens: it is not a box with this key's tag), so a batch repeated after a crash seals nothing twice.
/// </summary>
public sealed class PlaintextMigration(
    IPlaintextContentStore store, IMessageStore messages, IChannelStore channels, IKeyringStore keyring, ContentKeys keys, ILogger<PlaintextMigration> logger,
    int batchSize = 500)
{
    public const string MarkerId = "plaintext-migration";
    public const string FirstStage = MessagesStage;
    private const string MessagesStage = "messages:";
    private const string ChannelsStage = "channels:";
    private const string OutboxStage = "outbox";
    private const string CompactStage = "compact";
    private const string Done = "done";

    /// <summary>Finishes the migration the keyring says is under way; nothing when there is none.</summary>
    public async Task RunAsync(CancellationToken cancellationToken = default)
    {
        var stage = await keyring.GetAsync(MarkerId, cancellationToken);
        if (stage is null or Done) return;
        logger.LogWarning("Sealing the content this database held before encryption at rest (resumes if interrupted)...");
        if (stage.StartsWith(MessagesStage, StringComparison.Ordinal))
        {
            await SealMessagesAsync(stage[MessagesStage.Length..], cancellationToken);
            stage = await MarkAsync(ChannelsStage, cancellationToken);
        }
        if (stage.StartsWith(ChannelsStage, StringComparison.Ordinal))
        {
            await SealChannelsAsync(stage[ChannelsStage.Length..], cancellationToken);
            stage = await MarkAsync(OutboxStage, cancellationToken);
        }
        if (stage == OutboxStage)
        {
            await SealOutboxAsync(cancellationToken);
            stage = await MarkAsync(CompactStage, cancellationToken);
        }
        if (stage == CompactStage)
        {
            await store.CompactAsync(cancellationToken);
            await MarkAsync(Done, cancellationToken);
        }
        logger.LogWarning("The content from before encryption at rest is sealed.");
    }

    private async Task<string> MarkAsync(string stage, CancellationToken cancellationToken)
    {
        await keyring.ReplaceAsync(new Dictionary<string, string> { [MarkerId] = stage }, cancellationToken);
        return stage;
    }

    private async Task SealMessagesAsync(string afterId, CancellationToken cancellationToken)
    {
        while (await store.MessagesAfterAsync(afterId, batchSize, cancellationToken) is { Count: > 0 } batch)
        {
            foreach (var message in batch)
                if (await SealedUpdateAsync(message, cancellationToken) is { } update)
                    await messages.UpdateAsync(message.Channel, message.Id, update, cancellationToken);
            afterId = batch[^1].Id;
            await MarkAsync(MessagesStage + afterId, cancellationToken);
        }
    }

    /// <summary>The write that seals <paramref name="message"/>, null when it is sealed already or holds nothing to seal.</summary>
    private async Task<FieldUpdate?> SealedUpdateAsync(Message message, CancellationToken cancellationToken)
    {
        if (message.Content is null && message.Embeds is not { Count: > 0 }) return null;
        var key = await keys.ChannelKeyAsync(message.Channel, cancellationToken);
        if (message.Content is { } stored && SealedBox.TryOpenText(key, stored, SealedFields.MessageContent(message.Channel, message.Id), out _)) return null;
        if (message.Content is null && message.Embeds!.All(EncryptedMessageStore.IsSealed)) return null;
        var update = new FieldUpdate();
        if (message.Content is { } content)
        {
            update.Set("content", SealedBox.SealText(key, content, SealedFields.MessageContent(message.Channel, message.Id)));
            update.Set("search", BlindIndex.Tokens(BlindIndex.IndexKey(key), content));
        }
        if (message.Embeds is { Count: > 0 } embeds && !embeds.All(EncryptedMessageStore.IsSealed))
            update.Set("embeds", EncryptedMessageStore.SealEmbeds(key, message.Channel, message.Id, embeds));
        return update;
    }

    private async Task SealChannelsAsync(string afterId, CancellationToken cancellationToken)
    {
        while (await store.ChannelsAfterAsync(afterId, batchSize, cancellationToken) is { Count: > 0 } batch)
        {
            foreach (var channel in batch)
            {
                var description = channel switch { Group group => group.Description, TextChannel text => text.Description, _ => null };
                if (description is null) continue;
                var key = await keys.ChannelKeyAsync(channel.Id, cancellationToken);
                if (SealedBox.TryOpenText(key, description, SealedFields.ChannelDescription(channel.Id), out _)) continue;
                await channels.UpdateAsync(channel.Id, new FieldUpdate().Set("description", SealedBox.SealText(key, description, SealedFields.ChannelDescription(channel.Id))),
                    cancellationToken);
            }
            afterId = batch[^1].Id;
            await MarkAsync(ChannelsStage + afterId, cancellationToken);
        }
    }

    private async Task SealOutboxAsync(CancellationToken cancellationToken)
    {
        var key = await keys.OutboxKeyAsync(cancellationToken);
        foreach (var entry in await store.OutboxAsync(cancellationToken))
            if (!SealedBox.TryOpenText(key, entry.Body, SealedFields.OutboxBody(entry.Id), out _))
                await store.ReplaceOutboxBodyAsync(entry.Id, SealedBox.SealText(key, entry.Body, SealedFields.OutboxBody(entry.Id)), cancellationToken);
    }
}
