using System.Text.Json;
using MongoDB.Bson;
using MongoDB.Bson.IO;
using MongoDB.Driver;

namespace Spokes.Api.Storage.Mongo;

/// <summary>Community aggregates as BSON documents with exactly the JSON shape the API serves, as Stoat stores them.</summary>
internal static class Documents
{
    private static readonly JsonWriterSettings Relaxed = new() { OutputMode = JsonOutputMode.RelaxedExtendedJson };

    public static BsonDocument Write<T>(T value) => BsonDocument.Parse(JsonSerializer.Serialize(value, StoatJson.Options));

    public static T? Read<T>(BsonDocument? document) where T : class =>
        document is null ? null : JsonSerializer.Deserialize<T>(document.ToJson(Relaxed), StoatJson.Options);

    public static BsonDocument Key(MemberKey key) => new() { ["server"] = key.Server, ["user"] = key.User };

    public static FilterDefinition<BsonDocument> ByKey(string serverId, string userId) => MongoSchema.Is("_id", Key(new MemberKey(serverId, userId)));
}

public sealed class MongoServerStore(MongoSchema schema) : IServerStore
{
    public Task CreateAsync(Server server, CancellationToken cancellationToken = default) =>
        MongoSchema.InsertAsync(schema.Servers, Documents.Write(server), cancellationToken);

    public Task<long> CountAsync(CancellationToken cancellationToken = default) =>
        schema.Servers.CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty, cancellationToken: cancellationToken);

    public async Task<Server?> GetAsync(string id, CancellationToken cancellationToken = default) =>
        Documents.Read<Server>(await schema.Servers.Find(MongoSchema.Is("_id", id)).FirstOrDefaultAsync(cancellationToken));

    public Task<bool> UpdateAsync(string id, FieldUpdate update, CancellationToken cancellationToken = default) =>
        MongoFieldUpdates.ApplyAsync(schema.Servers, MongoSchema.Is("_id", id), update, cancellationToken);

    public Task AddChannelAsync(string id, string channelId, CancellationToken cancellationToken = default) =>
        schema.Servers.UpdateOneAsync(MongoSchema.Is("_id", id), Builders<BsonDocument>.Update.Push("channels", channelId), cancellationToken: cancellationToken);

    public async Task RemoveChannelAsync(string id, string channelId, CancellationToken cancellationToken = default)
    {
        await schema.Servers.UpdateOneAsync(MongoSchema.Is("_id", id), Builders<BsonDocument>.Update.Pull("channels", channelId), cancellationToken: cancellationToken);
        // $[] needs the array to be there; a server without categories has nothing more to change.
        await schema.Servers.UpdateOneAsync(MongoSchema.And(MongoSchema.Is("_id", id), Builders<BsonDocument>.Filter.Type("categories", BsonType.Array)),
            Builders<BsonDocument>.Update.Pull("categories.$[].channels", channelId), cancellationToken: cancellationToken);
    }

    /// <summary>The server document goes last, so a retry after a failure finds it and finishes the job.</summary>
    public async Task DeleteAsync(string id, CancellationToken cancellationToken = default)
    {
        await schema.Invites.DeleteManyAsync(MongoSchema.Is("server", id), cancellationToken);
        await schema.Channels.DeleteManyAsync(MongoSchema.Is("server", id), cancellationToken);
        await schema.Members.DeleteManyAsync(MongoSchema.Is("_id.server", id), cancellationToken);
        await schema.Bans.DeleteManyAsync(MongoSchema.Is("_id.server", id), cancellationToken);
        await schema.Servers.DeleteOneAsync(MongoSchema.Is("_id", id), cancellationToken);
    }
}

public sealed class MongoChannelStore(MongoSchema schema) : IChannelStore
{
    /// <summary>
    /// A DM or saved messages carries <c>direct_key</c> (the pair of users, in order), unique by its index: Stoat's
    /// documents have no field that could hold two users to one DM. Documents made before it are found by their
    /// recipients as ever.
    /// </summary>
    public Task CreateAsync(Channel channel, CancellationToken cancellationToken = default)
    {
        var document = Documents.Write(channel);
        switch (channel)
        {
            case SavedMessages saved:
                document[DirectKeyField] = DirectKey(saved.User, saved.User);
                break;
            case DirectMessage { Recipients: [var first, var second] }:
                document[DirectKeyField] = DirectKey(first, second);
                break;
        }
        return MongoSchema.InsertAsync(schema.Channels, document, cancellationToken);
    }

    public const string DirectKeyField = "direct_key";

    private static string DirectKey(string userId, string otherId) =>
        userId == otherId ? userId : string.CompareOrdinal(userId, otherId) < 0 ? $"{userId}:{otherId}" : $"{otherId}:{userId}";

    public async Task<Channel?> GetAsync(string id, CancellationToken cancellationToken = default) =>
        Documents.Read<Channel>(await schema.Channels.Find(MongoSchema.Is("_id", id)).FirstOrDefaultAsync(cancellationToken));

    public async Task<IReadOnlyList<Channel>> ListByServerAsync(string serverId, CancellationToken cancellationToken = default) =>
        ReadAll(await schema.Channels.Find(MongoSchema.Is("server", serverId)).SortBy(d => d["_id"]).ToListAsync(cancellationToken));

    public async Task<IReadOnlyList<Channel>> ListPrivateAsync(string userId, CancellationToken cancellationToken = default) =>
        ReadAll(await schema.Channels.Find(Builders<BsonDocument>.Filter.Or(MongoSchema.Is("recipients", userId), MongoSchema.Is("user", userId)))
            .SortBy(d => d["_id"]).ToListAsync(cancellationToken));

    public async Task<Channel?> FindDirectAsync(string userId, string otherId, CancellationToken cancellationToken = default)
    {
        var filter = userId == otherId
            ? MongoSchema.And(MongoSchema.Is("channel_type", "SavedMessages"), MongoSchema.Is("user", userId))
            : MongoSchema.And(MongoSchema.Is("channel_type", "DirectMessage"), Builders<BsonDocument>.Filter.All("recipients", new[] { userId, otherId }));
        return Documents.Read<Channel>(await schema.Channels.Find(filter).FirstOrDefaultAsync(cancellationToken));
    }

    public Task<bool> UpdateAsync(string id, FieldUpdate update, CancellationToken cancellationToken = default) =>
        MongoFieldUpdates.ApplyAsync(schema.Channels, MongoSchema.Is("_id", id), update, cancellationToken);

    public async Task<bool> AddRecipientAsync(string groupId, string userId, int maxRecipients, CancellationToken cancellationToken = default)
    {
        var filter = Builders<BsonDocument>.Filter;
        var open = MongoSchema.And(MongoSchema.Is("_id", groupId), MongoSchema.Is("channel_type", "Group"), filter.Ne("recipients", userId),
            filter.Exists($"recipients.{maxRecipients - 1}", false));
        return (await schema.Channels.UpdateOneAsync(open, Builders<BsonDocument>.Update.Push("recipients", userId), cancellationToken: cancellationToken))
            .MatchedCount == 1;
    }

    /// <summary>One pipeline update, so the owner handed on is one who remains.</summary>
    public async Task<Group?> RemoveRecipientAsync(string groupId, string userId, CancellationToken cancellationToken = default)
    {
        var remaining = new BsonDocument("$filter", new BsonDocument { ["input"] = "$recipients", ["cond"] = new BsonDocument("$ne", new BsonArray { "$$this", userId }) });
        var owner = new BsonDocument("$cond", new BsonArray
        {
            new BsonDocument("$eq", new BsonArray { "$owner", userId }),
            new BsonDocument("$ifNull", new BsonArray { new BsonDocument("$arrayElemAt", new BsonArray { remaining, 0 }), "$owner" }),
            "$owner",
        });
        var update = Builders<BsonDocument>.Update.Pipeline(PipelineDefinition<BsonDocument, BsonDocument>.Create(
            new BsonDocument("$set", new BsonDocument { ["recipients"] = remaining, ["owner"] = owner })));
        var document = await schema.Channels.FindOneAndUpdateAsync(
            MongoSchema.And(MongoSchema.Is("_id", groupId), MongoSchema.Is("channel_type", "Group"), MongoSchema.Is("recipients", userId)), update,
            new FindOneAndUpdateOptions<BsonDocument> { ReturnDocument = ReturnDocument.After }, cancellationToken);
        return (Group?)Documents.Read<Channel>(document);
    }

    public async Task DeleteAsync(string id, CancellationToken cancellationToken = default)
    {
        await schema.Invites.DeleteManyAsync(MongoSchema.Is("channel", id), cancellationToken);
        await schema.Channels.DeleteOneAsync(MongoSchema.Is("_id", id), cancellationToken);
    }

    private static List<Channel> ReadAll(IEnumerable<BsonDocument> documents) => documents.Select(d => Documents.Read<Channel>(d)!).ToList();
}

/// <summary>
/// A member set aside (see <see cref="IMemberStore"/>) keeps their document as Stoat keeps it: with
/// <c>pending_deletion_at</c> (when the timeout ends) and without joining time, nickname, avatar or roles.
/// </summary>
public sealed class MongoMemberStore(MongoSchema schema) : IMemberStore
{
    private const string PendingDeletion = "pending_deletion_at";

    private static readonly FilterDefinition<BsonDocument> Active = Builders<BsonDocument>.Filter.Exists(PendingDeletion, false);

    public async Task<Member> CreateAsync(Member member, CancellationToken cancellationToken = default)
    {
        var key = Documents.ByKey(member.Id.Server, member.Id.User);
        var setAside = MongoSchema.And(key, Builders<BsonDocument>.Filter.Exists(PendingDeletion));
        if (await schema.Members.Find(setAside).FirstOrDefaultAsync(cancellationToken) is { } kept)
        {
            var rejoined = member.Rejoining(Documents.Read<Member>(kept));
            // Replaced only while still set aside: of two joins at once, the other one inserts and meets the duplicate key.
            if ((await schema.Members.ReplaceOneAsync(setAside, Documents.Write(rejoined), cancellationToken: cancellationToken)).MatchedCount == 1)
                return rejoined;
        }
        await MongoSchema.InsertAsync(schema.Members, Documents.Write(member), cancellationToken);
        return member;
    }

    public async Task<Member?> GetAsync(string serverId, string userId, CancellationToken cancellationToken = default) =>
        Documents.Read<Member>(await schema.Members.Find(MongoSchema.And(Documents.ByKey(serverId, userId), Active)).FirstOrDefaultAsync(cancellationToken));

    public async Task<IReadOnlyList<Member>> GetManyAsync(string serverId, IReadOnlyCollection<string> userIds, CancellationToken cancellationToken = default) =>
        (await schema.Members.Find(MongoSchema.And(MongoSchema.Is("_id.server", serverId), Builders<BsonDocument>.Filter.In("_id.user", userIds), Active))
            .ToListAsync(cancellationToken)).Select(d => Documents.Read<Member>(d)!).ToList();

    public async Task<IReadOnlyList<Member>> ListAsync(string serverId, CancellationToken cancellationToken = default) =>
        (await schema.Members.Find(MongoSchema.And(MongoSchema.Is("_id.server", serverId), Active)).SortBy(d => d["_id.user"]).ToListAsync(cancellationToken))
            .Select(d => Documents.Read<Member>(d)!).ToList();

    public async Task<int> CountAsync(string serverId, CancellationToken cancellationToken = default) =>
        (int)await schema.Members.CountDocumentsAsync(MongoSchema.And(MongoSchema.Is("_id.server", serverId), Active), cancellationToken: cancellationToken);

    public async Task<IReadOnlyList<string>> ServersOfAsync(string userId, CancellationToken cancellationToken = default) =>
        (await schema.Members.Find(MongoSchema.And(MongoSchema.Is("_id.user", userId), Active)).Project(Builders<BsonDocument>.Projection.Include("_id"))
            .ToListAsync(cancellationToken)).Select(d => d["_id"]["server"].AsString).Order(StringComparer.Ordinal).ToList();

    public Task<bool> UpdateAsync(string serverId, string userId, FieldUpdate update, CancellationToken cancellationToken = default) =>
        MongoFieldUpdates.ApplyAsync(schema.Members, MongoSchema.And(Documents.ByKey(serverId, userId), Active), update, cancellationToken);

    public async Task<bool> RemoveAsync(string serverId, string userId, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        var member = MongoSchema.And(Documents.ByKey(serverId, userId), Active);
        var document = await schema.Members.Find(member).FirstOrDefaultAsync(cancellationToken);
        if (document is null) return false;
        if (!Documents.Read<Member>(document)!.InTimeout(now))
            return (await schema.Members.DeleteOneAsync(member, cancellationToken)).DeletedCount == 1;
        var update = Builders<BsonDocument>.Update;
        var setAside = update.Combine(update.Set(PendingDeletion, document["timeout"]),
            update.Unset("joined_at"), update.Unset("nickname"), update.Unset("avatar"), update.Unset("roles"));
        return (await schema.Members.UpdateOneAsync(member, setAside, cancellationToken: cancellationToken)).MatchedCount == 1;
    }

    public async Task RemoveRoleAsync(string serverId, string roleId, CancellationToken cancellationToken = default)
    {
        var filter = MongoSchema.And(MongoSchema.Is("_id.server", serverId), MongoSchema.Is("roles", roleId));
        await schema.Members.UpdateManyAsync(filter, Builders<BsonDocument>.Update.Pull("roles", roleId), cancellationToken: cancellationToken);
        // An empty list is left out, as every other member without roles has it.
        await schema.Members.UpdateManyAsync(MongoSchema.And(MongoSchema.Is("_id.server", serverId), Builders<BsonDocument>.Filter.Size("roles", 0)),
            Builders<BsonDocument>.Update.Unset("roles"), cancellationToken: cancellationToken);
    }
}

public sealed class MongoBanStore(MongoSchema schema) : IBanStore
{
    public Task SaveAsync(ServerBan ban, CancellationToken cancellationToken = default) =>
        schema.Bans.ReplaceOneAsync(Documents.ByKey(ban.Id.Server, ban.Id.User), Documents.Write(ban), new ReplaceOptions { IsUpsert = true }, cancellationToken);

    public async Task<ServerBan?> GetAsync(string serverId, string userId, CancellationToken cancellationToken = default) =>
        Documents.Read<ServerBan>(await schema.Bans.Find(Documents.ByKey(serverId, userId)).FirstOrDefaultAsync(cancellationToken));

    public async Task<IReadOnlyList<ServerBan>> ListAsync(string serverId, CancellationToken cancellationToken = default) =>
        (await schema.Bans.Find(MongoSchema.Is("_id.server", serverId)).SortBy(d => d["_id.user"]).ToListAsync(cancellationToken))
            .Select(d => Documents.Read<ServerBan>(d)!).ToList();

    public async Task<bool> DeleteAsync(string serverId, string userId, CancellationToken cancellationToken = default) =>
        (await schema.Bans.DeleteOneAsync(Documents.ByKey(serverId, userId), cancellationToken)).DeletedCount == 1;
}

public sealed class MongoInviteStore(MongoSchema schema) : IInviteStore
{
    public Task CreateAsync(Invite invite, CancellationToken cancellationToken = default) =>
        MongoSchema.InsertAsync(schema.Invites, Documents.Write(invite), cancellationToken, idRule: "code");

    public async Task<Invite?> GetAsync(string code, CancellationToken cancellationToken = default) =>
        Documents.Read<Invite>(await schema.Invites.Find(MongoSchema.Is("_id", code)).FirstOrDefaultAsync(cancellationToken));

    public async Task<IReadOnlyList<Invite>> ListByServerAsync(string serverId, CancellationToken cancellationToken = default) =>
        (await schema.Invites.Find(MongoSchema.Is("server", serverId)).SortBy(d => d["_id"]).ToListAsync(cancellationToken))
            .Select(d => Documents.Read<Invite>(d)!).ToList();

    public async Task<bool> DeleteAsync(string code, CancellationToken cancellationToken = default) =>
        (await schema.Invites.DeleteOneAsync(MongoSchema.Is("_id", code), cancellationToken)).DeletedCount == 1;
}
