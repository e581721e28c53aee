using MongoDB.Bson;
using MongoDB.Driver;

namespace Spokes.Api.Storage.Mongo;

/// <summary>A <see cref="FieldUpdate"/> as MongoDB's <c>$set</c> and <c>$unset</c>, its expectations as a filter.</summary>
internal static class MongoFieldUpdates
{
    public static UpdateDefinition<BsonDocument> Update(FieldUpdate update) => Builders<BsonDocument>.Update.Combine(update.Changes.Select(change =>
        change.Value is null ? Builders<BsonDocument>.Update.Unset(change.Key) : Builders<BsonDocument>.Update.Set(change.Key, Value(change.Value))));

    /// <summary><paramref name="target"/>, as long as every expectation holds; a field expected absent matches a missing or null field.</summary>
    public static FilterDefinition<BsonDocument> Where(FilterDefinition<BsonDocument> target, FieldUpdate update) =>
        MongoSchema.And([target, .. update.Expectations.Select(expectation => expectation switch
        {
            { Present: true } => Builders<BsonDocument>.Filter.Exists(expectation.Path),
            { Json: null } => MongoSchema.Is(expectation.Path, BsonNull.Value),
            _ => MongoSchema.Is(expectation.Path, Value(expectation.Json)),
        })]);

    /// <summary>Applies the update to the one document <paramref name="target"/> finds; false when none is found or an expectation failed.</summary>
    public static async Task<bool> ApplyAsync(IMongoCollection<BsonDocument> collection, FilterDefinition<BsonDocument> target, FieldUpdate update,
        CancellationToken cancellationToken) =>
        (await collection.UpdateOneAsync(Where(target, update), Update(update.RequireChanges()), cancellationToken: cancellationToken)).MatchedCount == 1;

    /// <summary>A JSON value as BSON, read the way <see cref="Documents.Write{T}"/> reads whole documents.</summary>
    private static BsonValue Value(string json) => BsonDocument.Parse($"{{\"value\": {json}}}")["value"];
}
