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
