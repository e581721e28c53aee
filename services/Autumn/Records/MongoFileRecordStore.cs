using MongoDB.Bson.Serialization.Attributes;
using MongoDB.Driver;
using Spokes.Autumn.Files;
using FileUseKind = Spokes.Contracts.Files.V1.FileUseKind;

namespace Spokes.Autumn.Records;

/// <summary>
/// File records in MongoDB, in Autumn's own collections named as Stoat's (<c>attachments</c>,
/// <c>attachment_hashes</c>). A claim sets <c>used_for</c> on every file whose rule holds in one update, and undoes
/// its own marks when fewer than all were claimed, so no transaction (nor replica set) is needed.
/// </summary>
public sealed class MongoFileRecordStore(IMongoDatabase database) : IFileRecordStore
{
    private readonly IMongoCollection<FileDocument> _files = database.GetCollection<FileDocument>("attachments");
    private readonly IMongoCollection<ObjectDocument> _objects = database.GetCollection<ObjectDocument>("attachment_hashes");

    public async Task EnsureIndexesAsync(CancellationToken cancellationToken)
    {
        await _files.Indexes.CreateManyAsync(
        [
            new CreateIndexModel<FileDocument>(Builders<FileDocument>.IndexKeys.Ascending(f => f.Hash)),
            new CreateIndexModel<FileDocument>(Builders<FileDocument>.IndexKeys.Ascending(f => f.UploadedAt)),
        ], cancellationToken);
    }

    public async Task<StoredObject?> GetObjectAsync(string hash, CancellationToken cancellationToken)
    {
        var document = await _objects.Find(o => o.Hash == hash).FirstOrDefaultAsync(cancellationToken);
        return document is null ? null : new StoredObject(document.Hash, document.Iv, document.ContentType, document.Size,
            new FileMetadata(document.MetadataType, document.Width, document.Height), new DateTimeOffset(document.CreatedAt, TimeSpan.Zero));
    }

    public async Task AddObjectAsync(StoredObject stored, CancellationToken cancellationToken)
    {
        var document = new ObjectDocument
        {
            Hash = stored.Hash, Iv = stored.Nonce, ContentType = stored.ContentType, Size = stored.Size, MetadataType = stored.Metadata.Type,
            Width = stored.Metadata.Width, Height = stored.Metadata.Height, CreatedAt = stored.CreatedAt.UtcDateTime,
        };
        try
        {
            await _objects.InsertOneAsync(document, cancellationToken: cancellationToken);
        }
        catch (MongoWriteException e) when (e.WriteError.Category == ServerErrorCategory.DuplicateKey)
        {
            // Recorded already: the same bytes were stored before.
        }
    }

    public Task AddFileAsync(FileRecord file, CancellationToken cancellationToken) =>
        _files.InsertOneAsync(new FileDocument
        {
            Id = file.Id, Tag = file.Tag, Filename = file.Filename, Hash = file.Hash, UploaderId = file.UploaderId,
            UploadedAt = file.UploadedAt.UtcDateTime,
        }, cancellationToken: cancellationToken);

    public async Task<FileRecord?> GetFileAsync(string id, CancellationToken cancellationToken) =>
        ToRecord(await _files.Find(f => f.Id == id).FirstOrDefaultAsync(cancellationToken));

    public async Task<ClaimOutcome> ClaimAsync(IReadOnlyList<string> ids, string tag, string uploaderId, FileUsage usage, CancellationToken cancellationToken)
    {
        var duplicate = ids.GroupBy(id => id).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) return new ClaimOutcome([], duplicate.Key);
        var filter = Builders<FileDocument>.Filter;
        var claimable = filter.In(f => f.Id, ids) & filter.Eq(f => f.Tag, tag) & filter.Eq(f => f.UploaderId, uploaderId)
            & filter.Eq(f => f.UsedFor, null) & filter.Ne(f => f.Deleted, true);
        var use = new UseDocument { Kind = (int)usage.Kind, Id = usage.Id, ServerId = usage.ServerId };
        var result = await _files.UpdateManyAsync(claimable, Builders<FileDocument>.Update.Set(f => f.UsedFor, use), cancellationToken: cancellationToken);
        var claimed = await _files.Find(filter.In(f => f.Id, ids) & filter.Eq(f => f.UsedFor, use)).ToListAsync(cancellationToken);
        if (result.ModifiedCount == ids.Count && claimed.Count == ids.Count)
        {
            return new ClaimOutcome(ids.Select(id => ToRecord(claimed.Single(f => f.Id == id))!).ToList(), null);
        }
        // Not all could be claimed: give back the ones this call took.
        var taken = claimed.Select(f => f.Id).ToHashSet();
        await _files.UpdateManyAsync(filter.In(f => f.Id, taken) & filter.Eq(f => f.UsedFor, use),
            Builders<FileDocument>.Update.Set(f => f.UsedFor, null), cancellationToken: cancellationToken);
        return new ClaimOutcome([], ids.First(id => !taken.Contains(id)));
    }

    public Task ReleaseAsync(IReadOnlyList<string> ids, CancellationToken cancellationToken) =>
        _files.UpdateManyAsync(Builders<FileDocument>.Filter.In(f => f.Id, ids), Builders<FileDocument>.Update.Set(f => f.Deleted, true),
            cancellationToken: cancellationToken);

    public Task MarkReportedAsync(IReadOnlyList<string> ids, CancellationToken cancellationToken) =>
        _files.UpdateManyAsync(Builders<FileDocument>.Filter.In(f => f.Id, ids), Builders<FileDocument>.Update.Set(f => f.Reported, true),
            cancellationToken: cancellationToken);

    public async Task<int> DeleteUnclaimedAsync(DateTimeOffset uploadedBefore, CancellationToken cancellationToken)
    {
        var filter = Builders<FileDocument>.Filter;
        var result = await _files.UpdateManyAsync(
            filter.Eq(f => f.UsedFor, null) & filter.Ne(f => f.Deleted, true) & filter.Lt(f => f.UploadedAt, uploadedBefore.UtcDateTime),
            Builders<FileDocument>.Update.Set(f => f.Deleted, true), cancellationToken: cancellationToken);
        return (int)result.ModifiedCount;
    }

    public async Task<IReadOnlyList<string>> UnusedObjectsAsync(CancellationToken cancellationToken)
    {
        var used = await _files.Distinct(f => f.Hash, LiveOrReported(), cancellationToken: cancellationToken).ToListAsync(cancellationToken);
        return await _objects.Find(Builders<ObjectDocument>.Filter.Nin(o => o.Hash, used)).Project(o => o.Hash).ToListAsync(cancellationToken);
    }

    public async Task<bool> ForgetObjectAsync(string hash, CancellationToken cancellationToken)
    {
        if (await _files.Find(LiveOrReported() & Builders<FileDocument>.Filter.Eq(f => f.Hash, hash)).AnyAsync(cancellationToken)) return false;
        await _objects.DeleteOneAsync(o => o.Hash == hash, cancellationToken);
        await _files.DeleteManyAsync(f => f.Hash == hash, cancellationToken);
        return true;
    }

    private static FilterDefinition<FileDocument> LiveOrReported() =>
        Builders<FileDocument>.Filter.Ne(f => f.Deleted, true) | Builders<FileDocument>.Filter.Eq(f => f.Reported, true);

    private static FileRecord? ToRecord(FileDocument? d) => d is null ? null : new FileRecord(
        d.Id, d.Tag, d.Filename, d.Hash, d.UploaderId, new DateTimeOffset(d.UploadedAt, TimeSpan.Zero),
        d.UsedFor is { } use ? new FileUsage((FileUseKind)use.Kind, use.Id, use.ServerId) : null, d.Deleted, d.Reported);

    internal sealed class FileDocument
    {
        [BsonId] public string Id { get; set; } = "";
        [BsonElement("tag")] public string Tag { get; set; } = "";
        [BsonElement("filename")] public string Filename { get; set; } = "";
        [BsonElement("hash")] public string Hash { get; set; } = "";
        [BsonElement("uploader_id")] public string UploaderId { get; set; } = "";
        [BsonElement("uploaded_at")] public DateTime UploadedAt { get; set; }
        [BsonElement("used_for")] public UseDocument? UsedFor { get; set; }
        [BsonElement("deleted")] public bool Deleted { get; set; }
        [BsonElement("reported")] public bool Reported { get; set; }
    }

    internal sealed record UseDocument
    {
        [BsonElement("kind")] public int Kind { get; init; }
        [BsonElement("id")] public string Id { get; init; } = "";
        [BsonElement("server_id")] public string ServerId { get; init; } = "";
    }

    internal sealed class ObjectDocument
    {
        [BsonId] public string Hash { get; set; } = "";
        [BsonElement("iv")] public string Iv { get; set; } = "";
        [BsonElement("content_type")] public string ContentType { get; set; } = "";
        [BsonElement("size")] public long Size { get; set; }
        [BsonElement("metadata_type")] public string MetadataType { get; set; } = "";
        [BsonElement("width")] public int Width { get; set; }
        [BsonElement("height")] public int Height { get; set; }
        [BsonElement("created_at")] public DateTime CreatedAt { get; set; }
    }
}
