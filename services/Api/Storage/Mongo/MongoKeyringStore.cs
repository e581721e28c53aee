using MongoDB.Bson;
using MongoDB.Driver;

namespace Spokes.Api.Storage.Mongo;

/// <summary>The <c>keyring</c> collection: one document per entry, <c>{_id, value}</c>.</summary>
public sealed class MongoKeyringStore(MongoSchema schema) : IKeyringStore
{
    public async Task<string?> GetAsync(string id, CancellationToken cancellationToken = default) =>
        (await schema.Keyring.Find(MongoSchema.Is("_id", id)).FirstOrDefaultAsync(cancellationToken))?["value"].AsString;

    public async Task<string> AddAsync(string id, string value, CancellationToken cancellationToken = default)
    {
        try
        {
            await MongoSchema.InsertAsync(schema.Keyring, new BsonDocument { ["_id"] = id, ["value"] = value }, cancellationToken);
            return value;
        }
        catch (DuplicateKeyException)
        {
            return (await GetAsync(id, cancellationToken))!;
        }
    }

    public async Task<IReadOnlyDictionary<string, string>> ListAsync(CancellationToken cancellationToken = default) =>
        (await schema.Keyring.Find(FilterDefinition<BsonDocument>.Empty).ToListAsync(cancellationToken))
        .ToDictionary(d => d["_id"].AsString, d => d["value"].AsString);

    public async Task ReplaceAsync(IReadOnlyDictionary<string, string> entries, CancellationToken cancellationToken = default)
    {
        foreach (var (id, value) in entries)
            await schema.Keyring.ReplaceOneAsync(MongoSchema.Is("_id", id), new BsonDocument { ["_id"] = id, ["value"] = value },
                new ReplaceOptions { IsUpsert = true }, cancellationToken);
    }

    public async Task<bool> HoldsChannelsAsync(CancellationToken cancellationToken = default) =>
        await schema.Channels.Find(FilterDefinition<BsonDocument>.Empty).Limit(1).AnyAsync(cancellationToken);
}

public sealed class MongoPlaintextContentStore(MongoSchema schema) : IPlaintextContentStore
{
    private static readonly SortDefinition<BsonDocument> ById = Builders<BsonDocument>.Sort.Ascending("_id");

    public async Task<IReadOnlyList<Message>> MessagesAfterAsync(string afterId, int limit, CancellationToken cancellationToken = default) =>
        (await schema.Messages.Find(Builders<BsonDocument>.Filter.Gt("_id", afterId)).Sort(ById).Limit(limit).ToListAsync(cancellationToken))
        .Select(d => Documents.Read<Message>(d)!).ToList();

    public async Task<IReadOnlyList<Channel>> ChannelsAfterAsync(string afterId, int limit, CancellationToken cancellationToken = default) =>
        (await schema.Channels.Find(Builders<BsonDocument>.Filter.Gt("_id", afterId)).Sort(ById).Limit(limit).ToListAsync(cancellationToken))
        .Select(d => Documents.Read<Channel>(d)!).ToList();

    public Task<IReadOnlyList<OutboxEntry>> OutboxAsync(CancellationToken cancellationToken = default) =>
        new MongoMessageStore(schema).PendingAsync(int.MaxValue, cancellationToken);

    public Task ReplaceOutboxBodyAsync(Guid id, string body, CancellationToken cancellationToken = default) =>
        schema.Messages.UpdateOneAsync(MongoSchema.Is("outbox.id", id.ToString()), Builders<BsonDocument>.Update.Set("outbox.$.body", body),
            cancellationToken: cancellationToken);

    /// <summary>
    /// Nothing to do from here: WiredTiger reuses the space of rewritten documents, and only the server's own
    /// <c>compact</c> (an operator's choice, it blocks) returns it; see README, Configuration.
    /// </summary>
    public Task CompactAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;
}
