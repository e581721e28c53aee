using System.Text.Json;
using Spokes.Api.Storage;

namespace Spokes.Api.Encryption;

/// <summary>
/// Messages sealed on their way into the store and opened on their way out, so that both providers only ever hold
/// ciphertext: the content (AES-256-GCM under the channel's key, bound to channel and message id), each embed (text
/// embeds and January's link embeds alike, as one sealed value in place of the embed), and the blind index of the
/// content's words in place of the words (<see cref="BlindIndex"/>). The outbox entries written with a message are
/// sealed too: a message's event carries its content.
/// </summary>
public sealed class EncryptedMessageStore(IMessageStore inner, ContentKeys keys) : IMessageStore
{
    /// <summary>The <c>type</c> of an embed held sealed in the store; never sent out.</summary>
    private const string SealedEmbedType = "Sealed";

    public async Task InsertAsync(Message message, IReadOnlyList<OutboxEntry> outbox, CancellationToken cancellationToken = default) =>
        await inner.InsertAsync(await SealAsync(message, cancellationToken), await EncryptedOutboxStore.SealAsync(keys, outbox, cancellationToken), cancellationToken);

    public async Task<Message?> GetAsync(string channelId, string id, CancellationToken cancellationToken = default) =>
        await OpenAsync(await inner.GetAsync(channelId, id, cancellationToken), cancellationToken);

    public async Task<Message?> FindAsync(string id, CancellationToken cancellationToken = default) =>
        await OpenAsync(await inner.FindAsync(id, cancellationToken), cancellationToken);

    public async Task<IReadOnlyList<Message>> GetManyAsync(string channelId, IReadOnlyCollection<string> ids, CancellationToken cancellationToken = default) =>
        await OpenAllAsync(await inner.GetManyAsync(channelId, ids, cancellationToken), cancellationToken);

    public async Task<IReadOnlyList<Message>> QueryAsync(MessageQuery query, CancellationToken cancellationToken = default)
    {
        if (query.Text is { } text)
        {
            var tokens = BlindIndex.Query(BlindIndex.IndexKey(await keys.ChannelKeyAsync(query.Channel, cancellationToken)), text);
            // No word to look for finds nothing, as a full-text search of no words does.
            if (tokens.Length == 0) return [];
            query = query with { Text = tokens };
        }
        return await OpenAllAsync(await inner.QueryAsync(query, cancellationToken), cancellationToken);
    }

    /// <summary>
    /// Seals the content and embeds the update writes, with the content's blind index. An expectation on the content
    /// (an edit racing January's embeds) is checked against the stored ciphertext: unchanged ciphertext, unchanged text.
    /// </summary>
    public async Task<bool> UpdateAsync(string channelId, string id, FieldUpdate update, CancellationToken cancellationToken = default) =>
        await SealUpdateAsync(channelId, id, update, cancellationToken) is { } sealedUpdate
        && await inner.UpdateAsync(channelId, id, sealedUpdate, cancellationToken);

    public async Task<bool> UpdateAsync(string channelId, string id, FieldUpdate update, IReadOnlyList<OutboxEntry> outbox,
        CancellationToken cancellationToken = default) =>
        await SealUpdateAsync(channelId, id, update, cancellationToken) is { } sealedUpdate
        && await inner.UpdateAsync(channelId, id, sealedUpdate, await EncryptedOutboxStore.SealAsync(keys, outbox, cancellationToken), cancellationToken);

    /// <summary>The update as stored, or null when an expectation on the content already fails.</summary>
    private async Task<FieldUpdate?> SealUpdateAsync(string channelId, string id, FieldUpdate update, CancellationToken cancellationToken)
    {
        var key = await keys.ChannelKeyAsync(channelId, cancellationToken);
        var sealedUpdate = new FieldUpdate();
        foreach (var (path, json) in update.Changes)
        {
            switch (path)
            {
                case "content" when json is not null:
                    var content = JsonSerializer.Deserialize<string>(json)!;
                    sealedUpdate.Set("content", SealedBox.SealText(key, content, SealedFields.MessageContent(channelId, id)));
                    if (BlindIndex.Tokens(BlindIndex.IndexKey(key), content) is { } tokens) sealedUpdate.Set("search", tokens);
                    else sealedUpdate.Unset("search");
                    break;
                case "content":
                    sealedUpdate.Unset("content").Unset("search");
                    break;
                case "embeds" when json is not null:
                    var embeds = JsonSerializer.Deserialize<IReadOnlyList<MessageEmbed>>(json, StoatJson.Options)!;
                    sealedUpdate.Set("embeds", SealEmbeds(key, channelId, id, embeds));
                    break;
                default:
                    CopyChange(sealedUpdate, path, json);
                    break;
            }
        }
        foreach (var expectation in update.Expectations)
        {
            if (expectation is { Path: "content", Present: false })
            {
                var stored = await inner.GetAsync(channelId, id, cancellationToken);
                if (stored is null) return null;
                var expected = expectation.Json is null ? null : JsonSerializer.Deserialize<string>(expectation.Json);
                if (OpenContent(key, stored) != expected) return null;
                sealedUpdate.Expect("content", stored.Content);
            }
            else if (expectation.Present)
            {
                sealedUpdate.ExpectPresent(expectation.Path);
            }
            else
            {
                sealedUpdate.Expect(expectation.Path, expectation.Json is null ? (JsonElement?)null : JsonSerializer.Deserialize<JsonElement>(expectation.Json));
            }
        }
        return sealedUpdate;
    }

    public async Task<Message?> ChangeReactionsAsync(string channelId, string id, ReactionChange change, CancellationToken cancellationToken = default) =>
        await OpenAsync(await inner.ChangeReactionsAsync(channelId, id, change, cancellationToken), cancellationToken);

    public Task<int> DeleteAsync(string channelId, IReadOnlyCollection<string> ids, CancellationToken cancellationToken = default) =>
        inner.DeleteAsync(channelId, ids, cancellationToken);

    private static void CopyChange(FieldUpdate update, string path, string? json)
    {
        if (json is null) update.Unset(path);
        else update.Set(path, JsonSerializer.Deserialize<JsonElement>(json));
    }

    private async Task<Message> SealAsync(Message message, CancellationToken cancellationToken)
    {
        var key = await keys.ChannelKeyAsync(message.Channel, cancellationToken);
        return message with
        {
            Content = message.Content is null ? null : SealedBox.SealText(key, message.Content, SealedFields.MessageContent(message.Channel, message.Id)),
            Embeds = message.Embeds is null ? null : SealEmbeds(key, message.Channel, message.Id, message.Embeds),
            Search = BlindIndex.Tokens(BlindIndex.IndexKey(key), message.Content),
        };
    }

    internal static IReadOnlyList<MessageEmbed> SealEmbeds(byte[] key, string channelId, string messageId, IReadOnlyList<MessageEmbed> embeds) =>
        embeds.Select(embed => (MessageEmbed)new RemoteEmbed(JsonSerializer.SerializeToElement(new Dictionary<string, string>
        {
            ["type"] = SealedEmbedType,
            ["data"] = SealedBox.SealText(key, JsonSerializer.Serialize(embed, StoatJson.Options), SealedFields.MessageEmbed(channelId, messageId)),
        }))).ToList();

    private async Task<Message?> OpenAsync(Message? stored, CancellationToken cancellationToken) =>
        stored is null ? null : Open(await keys.ChannelKeyAsync(stored.Channel, cancellationToken), stored);

    private async Task<IReadOnlyList<Message>> OpenAllAsync(IReadOnlyList<Message> stored, CancellationToken cancellationToken)
    {
        var opened = new List<Message>(stored.Count);
        (string Channel, byte[] Key)? last = null;
        foreach (var message in stored)
        {
            // A page is one channel's: its key is looked up once.
            if (last?.Channel != message.Channel) last = (message.Channel, await keys.ChannelKeyAsync(message.Channel, cancellationToken));
            opened.Add(Open(last.Value.Key, message));
        }
        return opened;
    }

    private static Message Open(byte[] key, Message stored) => stored with
    {
        Content = OpenContent(key, stored),
        Embeds = stored.Embeds?.Select(embed => OpenEmbed(key, stored, embed)).ToList(),
        Search = null,
    };

    private static string? OpenContent(byte[] key, Message stored) =>
        stored.Content is null ? null : SealedBox.OpenText(key, stored.Content, SealedFields.MessageContent(stored.Channel, stored.Id));

    /// <summary>Whether <paramref name="embed"/> is held sealed: an embed's own types (Website, Image, Text…) are never <c>Sealed</c>.</summary>
    internal static bool IsSealed(MessageEmbed embed) =>
        embed is RemoteEmbed { Json: var json } && json.TryGetProperty("type", out var type) && type.ValueEquals(SealedEmbedType);

    private static MessageEmbed OpenEmbed(byte[] key, Message stored, MessageEmbed embed) =>
        embed is RemoteEmbed { Json: var json } && IsSealed(embed)
            ? JsonSerializer.Deserialize<MessageEmbed>(
                SealedBox.OpenText(key, json.GetProperty("data").GetString()!, SealedFields.MessageEmbed(stored.Channel, stored.Id)), StoatJson.Options)!
            : throw new System.Security.Cryptography.CryptographicException($"Message {stored.Id} holds an embed that is not sealed.");
}
