using MongoDB.Bson;
using MongoDB.Driver;

namespace Spokes.Api.Storage.Mongo;

/// <summary>
/// Stoat's <c>messages</c> collection. A message's pending integration events ride in its own document
/// (<c>outbox</c>) so they are written in the same single-document write as the message: a standalone
/// MongoDB, as Stoat deploys it, has no multi-document transactions.
/// </summary>
public sealed class MongoMessageStore(MongoSchema schema) : IMessageStore, IOutboxStore
{
    private const string Outbox = "outbox";

    private static FilterDefinition<BsonDocument> ById(string channelId, string id) =>
        MongoSchema.And(MongoSchema.Is("_id", id), MongoSchema.Is("channel", channelId));

    public async Task InsertAsync(Message message, IReadOnlyList<OutboxEntry> outbox, CancellationToken cancellationToken = default)
    {
        var document = Documents.Write(message);
        if (outbox.Count > 0) document[Outbox] = new BsonArray(outbox.Select(OutboxDocument));
        await MongoSchema.InsertAsync(schema.Messages, document, cancellationToken);
        await schema.Channels.UpdateOneAsync(
            MongoSchema.And(MongoSchema.Is("_id", message.Channel), Builders<BsonDocument>.Filter.Ne("channel_type", "SavedMessages")),
            Builders<BsonDocument>.Update.Set("last_message_id", message.Id), cancellationToken: cancellationToken);
    }

    public async Task<Message?> GetAsync(string channelId, string id, CancellationToken cancellationToken = default) =>
        Documents.Read<Message>(await schema.Messages.Find(ById(channelId, id)).FirstOrDefaultAsync(cancellationToken));

    public async Task<Message?> FindAsync(string id, CancellationToken cancellationToken = default) =>
        Documents.Read<Message>(await schema.Messages.Find(MongoSchema.Is("_id", id)).FirstOrDefaultAsync(cancellationToken));

    public async Task<IReadOnlyList<Message>> GetManyAsync(string channelId, IReadOnlyCollection<string> ids, CancellationToken cancellationToken = default) =>
        ReadAll(await schema.Messages.Find(MongoSchema.And(MongoSchema.Is("channel", channelId), Builders<BsonDocument>.Filter.In("_id", ids)))
            .ToListAsync(cancellationToken));

    public async Task<IReadOnlyList<Message>> QueryAsync(MessageQuery query, CancellationToken cancellationToken = default)
    {
        var filter = Builders<BsonDocument>.Filter;
        var conditions = new List<FilterDefinition<BsonDocument>> { MongoSchema.Is("channel", query.Channel) };
        if (query.Before is not null) conditions.Add(filter.Lt("_id", query.Before));
        if (query.After is not null) conditions.Add(filter.Gt("_id", query.After));
        if (query.Pinned is true) conditions.Add(MongoSchema.Is("pinned", true));
        if (query.Pinned is false) conditions.Add(filter.Ne("pinned", true));
        if (query.Text is not null) conditions.Add(filter.Text(query.Text));
        var find = schema.Messages.Find(filter.And(conditions));
        var sort = Builders<BsonDocument>.Sort;
        find = query.Text is not null && query.Sort == MessageSort.Relevance
            ? find.Project<BsonDocument>(Builders<BsonDocument>.Projection.MetaTextScore("score")).Sort(sort.MetaTextScore("score").Descending("_id"))
            : find.Sort(query.Sort == MessageSort.Oldest ? sort.Ascending("_id") : sort.Descending("_id"));
        return ReadAll(await find.Limit(query.Limit).ToListAsync(cancellationToken));
    }

    public Task<bool> UpdateAsync(string channelId, string id, FieldUpdate update, CancellationToken cancellationToken = default) =>
        MongoFieldUpdates.ApplyAsync(schema.Messages, ById(channelId, id), update, cancellationToken);

    /// <summary>The entries are pushed onto the message's own outbox in the same single-document update.</summary>
    public async Task<bool> UpdateAsync(string channelId, string id, FieldUpdate update, IReadOnlyList<OutboxEntry> outbox, CancellationToken cancellationToken = default)
    {
        if (outbox.Count == 0) return await UpdateAsync(channelId, id, update, cancellationToken);
        var operation = Builders<BsonDocument>.Update.Combine(MongoFieldUpdates.Update(update.RequireChanges()),
            Builders<BsonDocument>.Update.PushEach(Outbox, outbox.Select(OutboxDocument)));
        return (await schema.Messages.UpdateOneAsync(MongoFieldUpdates.Where(ById(channelId, id), update), operation, cancellationToken: cancellationToken))
            .MatchedCount == 1;
    }

    public async Task<Message?> ChangeReactionsAsync(string channelId, string id, ReactionChange change, CancellationToken cancellationToken = default)
    {
        var update = Builders<BsonDocument>.Update;
        var operation = change switch
        {
            ReactionChange.Add add => update.AddToSet($"reactions.{add.Emoji}", add.User),
            ReactionChange.Remove remove => update.Pull($"reactions.{remove.Emoji}", remove.User),
            ReactionChange.RemoveEmoji removeEmoji => update.Unset($"reactions.{removeEmoji.Emoji}"),
            _ => update.Unset("reactions"),
        };
        var after = new FindOneAndUpdateOptions<BsonDocument> { ReturnDocument = ReturnDocument.After };
        var document = await schema.Messages.FindOneAndUpdateAsync(ById(channelId, id), operation, after, cancellationToken);
        if (document?.GetValue("reactions", null) is BsonDocument reactions && reactions.Elements.Any(e => e.Value.AsBsonArray.Count == 0))
        {
            // An emoji nobody reacts with any more is dropped, and so is an empty map, as Stoat stores them.
            var empty = reactions.Elements.Where(e => e.Value.AsBsonArray.Count == 0).Select(e => update.Unset($"reactions.{e.Name}"));
            document = await schema.Messages.FindOneAndUpdateAsync(ById(channelId, id), update.Combine(empty), after, cancellationToken);
            if (document?.GetValue("reactions", null) is BsonDocument { ElementCount: 0 })
                document = await schema.Messages.FindOneAndUpdateAsync(ById(channelId, id), update.Unset("reactions"), after, cancellationToken);
        }
        return Documents.Read<Message>(document);
    }

    public async Task<int> DeleteAsync(string channelId, IReadOnlyCollection<string> ids, CancellationToken cancellationToken = default) =>
        (int)(await schema.Messages.DeleteManyAsync(
            MongoSchema.And(MongoSchema.Is("channel", channelId), Builders<BsonDocument>.Filter.In("_id", ids)), cancellationToken)).DeletedCount;

    public async Task<IReadOnlyList<OutboxEntry>> PendingAsync(int limit, CancellationToken cancellationToken = default) =>
        (await schema.Messages.Find(Builders<BsonDocument>.Filter.Exists(Outbox)).Sort(Builders<BsonDocument>.Sort.Ascending("_id")).Limit(limit)
            .Project(Builders<BsonDocument>.Projection.Include(Outbox)).ToListAsync(cancellationToken))
        .SelectMany(d => d[Outbox].AsBsonArray.Select(e => e.AsBsonDocument))
        .Select(e => new OutboxEntry(Guid.Parse(e["id"].AsString), e["type"].AsString, e["body"].AsString, new DateTimeOffset(e["created_at"].ToUniversalTime())))
        .Take(limit).ToList();

    /// <summary>
    /// The messages holding the entries are found by the outbox index, the entries pulled from those messages in one
    /// update, and the lists this emptied removed from those messages only.
    /// </summary>
    public async Task CompleteAsync(IReadOnlyCollection<Guid> ids, CancellationToken cancellationToken = default)
    {
        if (ids.Count == 0) return;
        var entryIds = ids.Select(id => id.ToString()).ToList();
        var holders = (await schema.Messages.Find(Builders<BsonDocument>.Filter.In($"{Outbox}.id", entryIds))
            .Project(Builders<BsonDocument>.Projection.Include("_id")).ToListAsync(cancellationToken)).Select(d => d["_id"]).ToList();
        if (holders.Count == 0) return;
        var held = Builders<BsonDocument>.Filter.In("_id", holders);
        await schema.Messages.UpdateManyAsync(held, Builders<BsonDocument>.Update.PullFilter(Outbox, Builders<BsonDocument>.Filter.In("id", entryIds)),
            cancellationToken: cancellationToken);
        await schema.Messages.UpdateManyAsync(MongoSchema.And(held, Builders<BsonDocument>.Filter.Size(Outbox, 0)), Builders<BsonDocument>.Update.Unset(Outbox),
            cancellationToken: cancellationToken);
    }

    private static BsonDocument OutboxDocument(OutboxEntry entry) => new()
    {
        ["id"] = entry.Id.ToString(), ["type"] = entry.MessageType, ["body"] = entry.Body, ["created_at"] = entry.CreatedAt.UtcDateTime,
    };

    private static List<Message> ReadAll(IEnumerable<BsonDocument> documents) => documents.Select(d => Documents.Read<Message>(d)!).ToList();
}

/// <summary>Stoat's <c>user_settings</c>: one document per user, each key holding <c>[timestamp, value]</c>.</summary>
public sealed class MongoSettingsStore(MongoSchema schema) : ISettingsStore
{
    public async Task<IReadOnlyDictionary<string, SyncedSetting>> GetAsync(string userId, IReadOnlyCollection<string> keys,
        CancellationToken cancellationToken = default)
    {
        var document = await schema.Settings.Find(MongoSchema.Is("_id", userId)).FirstOrDefaultAsync(cancellationToken);
        return keys.Distinct().Where(k => document?.GetValue(k, null) is BsonArray { Count: 2 })
            .ToDictionary(k => k, k => new SyncedSetting(document![k][0].ToInt64(), document[k][1].AsString));
    }

    public async Task<IReadOnlyDictionary<string, SyncedSetting>> SetAsync(string userId, IReadOnlyDictionary<string, SyncedSetting> settings,
        CancellationToken cancellationToken = default)
    {
        var written = new Dictionary<string, SyncedSetting>();
        var filter = Builders<BsonDocument>.Filter;
        foreach (var (key, setting) in settings)
        {
            var olderOrAbsent = filter.Or(filter.Exists(key, false), filter.Lte($"{key}.0", setting.Timestamp));
            try
            {
                var result = await schema.Settings.UpdateOneAsync(MongoSchema.And(MongoSchema.Is("_id", userId), olderOrAbsent),
                    Builders<BsonDocument>.Update.Set(key, new BsonArray { setting.Timestamp, setting.Value }), new UpdateOptions { IsUpsert = true },
                    cancellationToken);
                if (result.ModifiedCount + (result.UpsertedId is null ? 0 : 1) > 0) written[key] = setting;
            }
            catch (MongoWriteException e) when (e.WriteError.Category == ServerErrorCategory.DuplicateKey)
            {
                // The user's document exists with a newer value under this key: the upsert found nothing to update.
            }
        }
        return written;
    }
}

public sealed class MongoBotStore(MongoSchema schema) : IBotStore
{
    public Task CreateAsync(Bot bot, CancellationToken cancellationToken = default) => MongoSchema.InsertAsync(schema.Bots, Documents.Write(bot), cancellationToken);

    public async Task<Bot?> GetAsync(string id, CancellationToken cancellationToken = default) =>
        Documents.Read<Bot>(await schema.Bots.Find(MongoSchema.Is("_id", id)).FirstOrDefaultAsync(cancellationToken));

    public async Task<Bot?> FindByTokenAsync(string token, CancellationToken cancellationToken = default) =>
        Documents.Read<Bot>(await schema.Bots.Find(MongoSchema.Is("token", token)).FirstOrDefaultAsync(cancellationToken));

    public async Task<IReadOnlyList<Bot>> ListByOwnerAsync(string ownerId, CancellationToken cancellationToken = default) =>
        (await schema.Bots.Find(MongoSchema.Is("owner", ownerId)).SortBy(d => d["_id"]).ToListAsync(cancellationToken)).Select(d => Documents.Read<Bot>(d)!).ToList();

    public Task UpdateAsync(Bot bot, CancellationToken cancellationToken = default) =>
        schema.Bots.ReplaceOneAsync(MongoSchema.Is("_id", bot.Id), Documents.Write(bot), cancellationToken: cancellationToken);

    public Task DeleteAsync(string id, CancellationToken cancellationToken = default) => schema.Bots.DeleteOneAsync(MongoSchema.Is("_id", id), cancellationToken);
}

/// <summary>Stoat's <c>webhooks</c>: keyed by <c>_id</c> in the database, served with <c>id</c>.</summary>
public sealed class MongoWebhookStore(MongoSchema schema) : IWebhookStore
{
    private static BsonDocument Write(Webhook webhook)
    {
        var document = Documents.Write(webhook);
        document.Remove("id");
        return new BsonDocument("_id", webhook.Id).AddRange(document);
    }

    private static Webhook? Read(BsonDocument? document)
    {
        if (document is null) return null;
        var copy = document.DeepClone().AsBsonDocument;
        copy["id"] = copy["_id"];
        copy.Remove("_id");
        return Documents.Read<Webhook>(copy);
    }

    public Task CreateAsync(Webhook webhook, CancellationToken cancellationToken = default) => MongoSchema.InsertAsync(schema.Webhooks, Write(webhook), cancellationToken);

    public async Task<Webhook?> GetAsync(string id, CancellationToken cancellationToken = default) =>
        Read(await schema.Webhooks.Find(MongoSchema.Is("_id", id)).FirstOrDefaultAsync(cancellationToken));

    public async Task<IReadOnlyList<Webhook>> ListByChannelAsync(string channelId, CancellationToken cancellationToken = default) =>
        (await schema.Webhooks.Find(MongoSchema.Is("channel_id", channelId)).SortBy(d => d["_id"]).ToListAsync(cancellationToken)).Select(d => Read(d)!).ToList();

    public Task UpdateAsync(Webhook webhook, CancellationToken cancellationToken = default) =>
        schema.Webhooks.ReplaceOneAsync(MongoSchema.Is("_id", webhook.Id), Write(webhook), cancellationToken: cancellationToken);

    public Task DeleteAsync(string id, CancellationToken cancellationToken = default) => schema.Webhooks.DeleteOneAsync(MongoSchema.Is("_id", id), cancellationToken);
}

public sealed class MongoEmojiStore(MongoSchema schema) : IEmojiStore
{
    public Task CreateAsync(Emoji emoji, CancellationToken cancellationToken = default) => MongoSchema.InsertAsync(schema.Emojis, Documents.Write(emoji), cancellationToken);

    public async Task<Emoji?> GetAsync(string id, CancellationToken cancellationToken = default) =>
        Documents.Read<Emoji>(await schema.Emojis.Find(MongoSchema.Is("_id", id)).FirstOrDefaultAsync(cancellationToken));

    public async Task<IReadOnlyList<Emoji>> ListByServerAsync(string serverId, CancellationToken cancellationToken = default) =>
        (await schema.Emojis.Find(MongoSchema.And(MongoSchema.Is("parent.type", "Server"), MongoSchema.Is("parent.id", serverId)))
            .SortBy(d => d["_id"]).ToListAsync(cancellationToken)).Select(d => Documents.Read<Emoji>(d)!).ToList();

    public Task<bool> UpdateAsync(string id, FieldUpdate update, CancellationToken cancellationToken = default) =>
        MongoFieldUpdates.ApplyAsync(schema.Emojis, MongoSchema.Is("_id", id), update, cancellationToken);

    public Task DeleteAsync(string id, CancellationToken cancellationToken = default) => schema.Emojis.DeleteOneAsync(MongoSchema.Is("_id", id), cancellationToken);
}

public sealed class MongoReportStore(MongoSchema schema) : IReportStore
{
    public Task CreateAsync(Report report, CancellationToken cancellationToken = default) =>
        MongoSchema.InsertAsync(schema.Reports, Documents.Write(report), cancellationToken);
}
