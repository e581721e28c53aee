using MongoDB.Bson;
using MongoDB.Driver;
using Spokes.Permissions;

namespace Spokes.Api.Storage.Mongo;

/// <summary>
/// The containers and cluster profiles' chat database. Collections are named as Stoat names them, and
/// every query path has its index, created (idempotently) at start. Unique indexes are named after the
/// rule they enforce, which is what <see cref="DuplicateKeyException.Field"/> reports.
/// </summary>
public sealed class MongoSchema(IMongoDatabase database)
{
    public IMongoCollection<BsonDocument> Accounts { get; } = database.GetCollection<BsonDocument>("accounts");
    public IMongoCollection<BsonDocument> Sessions { get; } = database.GetCollection<BsonDocument>("sessions");
    public IMongoCollection<BsonDocument> Users { get; } = database.GetCollection<BsonDocument>("users");
    public IMongoCollection<BsonDocument> Servers { get; } = database.GetCollection<BsonDocument>("servers");
    public IMongoCollection<BsonDocument> Channels { get; } = database.GetCollection<BsonDocument>("channels");
    public IMongoCollection<BsonDocument> Members { get; } = database.GetCollection<BsonDocument>("server_members");
    public IMongoCollection<BsonDocument> Bans { get; } = database.GetCollection<BsonDocument>("server_bans");
    public IMongoCollection<BsonDocument> Invites { get; } = database.GetCollection<BsonDocument>("channel_invites");
    public IMongoCollection<BsonDocument> MfaTickets { get; } = database.GetCollection<BsonDocument>("mfa_tickets");
    public IMongoCollection<BsonDocument> SignupInvites { get; } = database.GetCollection<BsonDocument>("invites");
    public IMongoCollection<BsonDocument> ExternalIdentities { get; } = database.GetCollection<BsonDocument>("external_identities");
    public IMongoCollection<BsonDocument> Unreads { get; } = database.GetCollection<BsonDocument>("channel_unreads");
    public IMongoCollection<BsonDocument> Messages { get; } = database.GetCollection<BsonDocument>("messages");
    public IMongoCollection<BsonDocument> Settings { get; } = database.GetCollection<BsonDocument>("user_settings");
    public IMongoCollection<BsonDocument> Bots { get; } = database.GetCollection<BsonDocument>("bots");
    public IMongoCollection<BsonDocument> Webhooks { get; } = database.GetCollection<BsonDocument>("webhooks");
    public IMongoCollection<BsonDocument> Emojis { get; } = database.GetCollection<BsonDocument>("emojis");
    public IMongoCollection<BsonDocument> Reports { get; } = database.GetCollection<BsonDocument>("safety_reports");
    public IMongoCollection<BsonDocument> Keyring { get; } = database.GetCollection<BsonDocument>("keyring");

    public async Task EnsureIndexesAsync(CancellationToken cancellationToken = default)
    {
        var unique = (string name) => new CreateIndexOptions { Name = name, Unique = true };
        var keys = Builders<BsonDocument>.IndexKeys;
        await Accounts.Indexes.CreateOneAsync(new CreateIndexModel<BsonDocument>(keys.Ascending("email_normalised"), unique("email")), cancellationToken: cancellationToken);
        var uniqueWhenSet = (string name) => new CreateIndexOptions { Name = name, Unique = true, Sparse = true };
        foreach (var token in new[] { "verification.token", "password_reset.token", "deletion.token" })
            await Accounts.Indexes.CreateOneAsync(new CreateIndexModel<BsonDocument>(keys.Ascending(token), uniqueWhenSet(token)), cancellationToken: cancellationToken);
        await Accounts.Indexes.CreateOneAsync(new CreateIndexModel<BsonDocument>(keys.Ascending("deletion_after"), new CreateIndexOptions { Name = "deletion_after", Sparse = true }), cancellationToken: cancellationToken);
        await Sessions.Indexes.CreateOneAsync(new CreateIndexModel<BsonDocument>(keys.Ascending("token"), unique("token")), cancellationToken: cancellationToken);
        await MfaTickets.Indexes.CreateOneAsync(new CreateIndexModel<BsonDocument>(keys.Ascending("token"), unique("token")), cancellationToken: cancellationToken);
        await MfaTickets.Indexes.CreateOneAsync(new CreateIndexModel<BsonDocument>(keys.Ascending("account_id"), new CreateIndexOptions { Name = "account" }), cancellationToken: cancellationToken);
        await Unreads.Indexes.CreateOneAsync(new CreateIndexModel<BsonDocument>(keys.Ascending("_id.user"), new CreateIndexOptions { Name = "user" }), cancellationToken: cancellationToken);
        await Sessions.Indexes.CreateOneAsync(new CreateIndexModel<BsonDocument>(keys.Ascending("user_id").Ascending("_id"), new CreateIndexOptions { Name = "user" }), cancellationToken: cancellationToken);
        await Users.Indexes.CreateOneAsync(new CreateIndexModel<BsonDocument>(keys.Ascending("username_lower").Ascending("discriminator"), unique("username")), cancellationToken: cancellationToken);
        var named = (string name) => new CreateIndexOptions { Name = name };
        await Channels.Indexes.CreateOneAsync(new CreateIndexModel<BsonDocument>(keys.Ascending("server"), named("server")), cancellationToken: cancellationToken);
        await Channels.Indexes.CreateOneAsync(new CreateIndexModel<BsonDocument>(keys.Ascending("recipients"), named("recipients")), cancellationToken: cancellationToken);
        await Channels.Indexes.CreateOneAsync(new CreateIndexModel<BsonDocument>(keys.Ascending("user"), named("saved_messages_user")), cancellationToken: cancellationToken);
        await Channels.Indexes.CreateOneAsync(new CreateIndexModel<BsonDocument>(keys.Ascending(MongoChannelStore.DirectKeyField),
            new CreateIndexOptions<BsonDocument>
            {
                Name = MongoChannelStore.DirectKeyField, Unique = true, PartialFilterExpression = Builders<BsonDocument>.Filter.Exists(MongoChannelStore.DirectKeyField),
            }), cancellationToken: cancellationToken);
        await Members.Indexes.CreateOneAsync(new CreateIndexModel<BsonDocument>(keys.Ascending("_id.server"), named("server")), cancellationToken: cancellationToken);
        await Members.Indexes.CreateOneAsync(new CreateIndexModel<BsonDocument>(keys.Ascending("_id.user"), named("user")), cancellationToken: cancellationToken);
        await Bans.Indexes.CreateOneAsync(new CreateIndexModel<BsonDocument>(keys.Ascending("_id.server"), named("server")), cancellationToken: cancellationToken);
        await Invites.Indexes.CreateOneAsync(new CreateIndexModel<BsonDocument>(keys.Ascending("server"), named("server")), cancellationToken: cancellationToken);
        await Invites.Indexes.CreateOneAsync(new CreateIndexModel<BsonDocument>(keys.Ascending("channel"), named("channel")), cancellationToken: cancellationToken);
        await Messages.Indexes.CreateOneAsync(new CreateIndexModel<BsonDocument>(keys.Ascending("channel").Descending("_id"), named("channel")), cancellationToken: cancellationToken);
        await Messages.Indexes.CreateOneAsync(new CreateIndexModel<BsonDocument>(keys.Ascending("channel").Ascending("pinned").Descending("_id"),
            new CreateIndexOptions<BsonDocument> { Name = "pinned", PartialFilterExpression = Is("pinned", true) }), cancellationToken: cancellationToken);
        // Search reads the blind index (Encryption/BlindIndex.cs): tokens, which no language's stemming or stop words apply to.
        // A collection has one text index: the one on content from before encryption at rest makes way.
        if ((await (await Messages.Indexes.ListAsync(cancellationToken)).ToListAsync(cancellationToken)).Any(i => i["name"] == "content"))
            await Messages.Indexes.DropOneAsync("content", cancellationToken);
        await Messages.Indexes.CreateOneAsync(new CreateIndexModel<BsonDocument>(keys.Text("search"), new CreateIndexOptions { Name = "search", DefaultLanguage = "none" }),
            cancellationToken: cancellationToken);
        await Bots.Indexes.CreateOneAsync(new CreateIndexModel<BsonDocument>(keys.Ascending("token"), unique("token")), cancellationToken: cancellationToken);
        await Bots.Indexes.CreateOneAsync(new CreateIndexModel<BsonDocument>(keys.Ascending("owner"), named("owner")), cancellationToken: cancellationToken);
        await Webhooks.Indexes.CreateOneAsync(new CreateIndexModel<BsonDocument>(keys.Ascending("channel_id"), named("channel")), cancellationToken: cancellationToken);
        await Emojis.Indexes.CreateOneAsync(new CreateIndexModel<BsonDocument>(keys.Ascending("parent.id"), named("parent")), cancellationToken: cancellationToken);
        await Messages.Indexes.CreateOneAsync(new CreateIndexModel<BsonDocument>(keys.Ascending("outbox.id"), new CreateIndexOptions { Name = "outbox", Sparse = true }),
            cancellationToken: cancellationToken);
    }

    /// <param name="idRule">What a clash on <c>_id</c> is reported as (e.g. "code" for invites); other indexes report their name.</param>
    public static async Task InsertAsync(IMongoCollection<BsonDocument> collection, BsonDocument document, CancellationToken cancellationToken,
        string idRule = "key")
    {
        try
        {
            await collection.InsertOneAsync(document, cancellationToken: cancellationToken);
        }
        catch (MongoWriteException e) when (e.WriteError.Category == ServerErrorCategory.DuplicateKey)
        {
            var index = e.WriteError.Message.Split("index: ").ElementAtOrDefault(1)?.Split(' ')[0];
            throw new DuplicateKeyException(index is null or "_id_" ? idRule : index);
        }
    }

    public static FilterDefinition<BsonDocument> Is(string field, BsonValue value) => Builders<BsonDocument>.Filter.Eq(field, value);

    public static FilterDefinition<BsonDocument> And(params FilterDefinition<BsonDocument>[] filters) => Builders<BsonDocument>.Filter.And(filters);
}

public sealed class MongoAccountStore(MongoSchema schema) : IAccountStore
{
    public Task CreateAsync(Account account, CancellationToken cancellationToken = default) =>
        MongoSchema.InsertAsync(schema.Accounts, Write(account), cancellationToken);

    public async Task<Account?> FindByEmailAsync(string emailNormalised, CancellationToken cancellationToken = default) =>
        Read(await schema.Accounts.Find(MongoSchema.Is("email_normalised", emailNormalised)).FirstOrDefaultAsync(cancellationToken));

    public async Task<Account?> GetAsync(string id, CancellationToken cancellationToken = default) =>
        Read(await schema.Accounts.Find(MongoSchema.Is("_id", id)).FirstOrDefaultAsync(cancellationToken));

    public async Task<Account?> FindByTokenAsync(AccountTokenKind kind, string token, CancellationToken cancellationToken = default)
    {
        var field = kind switch
        {
            AccountTokenKind.Verification => "verification.token",
            AccountTokenKind.PasswordReset => "password_reset.token",
            _ => "deletion.token",
        };
        return Read(await schema.Accounts.Find(MongoSchema.Is(field, token)).FirstOrDefaultAsync(cancellationToken));
    }

    public async Task UpdateAsync(Account account, CancellationToken cancellationToken = default)
    {
        try
        {
            await schema.Accounts.ReplaceOneAsync(MongoSchema.Is("_id", account.Id), Write(account), cancellationToken: cancellationToken);
        }
        catch (MongoWriteException e) when (e.WriteError.Category == ServerErrorCategory.DuplicateKey)
        {
            throw new DuplicateKeyException("email");
        }
    }

    public async Task<IReadOnlyList<Account>> DueForDeletionAsync(DateTimeOffset now, CancellationToken cancellationToken = default) =>
        (await schema.Accounts.Find(Builders<BsonDocument>.Filter.Lte("deletion_after", now.UtcDateTime)).ToListAsync(cancellationToken))
        .Select(d => Read(d)!).ToList();

    public async Task<IReadOnlyList<Account>> ListAsync(string? afterId, int limit, CancellationToken cancellationToken = default) =>
        (await schema.Accounts.Find(afterId is null ? FilterDefinition<BsonDocument>.Empty : Builders<BsonDocument>.Filter.Gt("_id", afterId))
            .Sort(Builders<BsonDocument>.Sort.Ascending("_id")).Limit(limit).ToListAsync(cancellationToken))
        .Select(d => Read(d)!).ToList();

    public async Task<bool> SetEmailNormalisedAsync(string id, string email, string emailNormalised, CancellationToken cancellationToken = default)
    {
        try
        {
            return (await schema.Accounts.UpdateOneAsync(MongoSchema.And(MongoSchema.Is("_id", id), MongoSchema.Is("email", email)),
                Builders<BsonDocument>.Update.Set("email_normalised", emailNormalised), cancellationToken: cancellationToken)).MatchedCount == 1;
        }
        catch (MongoWriteException e) when (e.WriteError.Category == ServerErrorCategory.DuplicateKey)
        {
            throw new DuplicateKeyException("email");
        }
    }

    /// <summary>Authifier's document shape; <c>deletion_after</c> is kept as a date beside it so the deletion job can range over it.</summary>
    private static BsonDocument Write(Account account)
    {
        var document = new BsonDocument
        {
            ["_id"] = account.Id,
            ["email"] = account.Email,
            ["email_normalised"] = account.EmailNormalised,
            ["password"] = account.PasswordHash,
            ["disabled"] = account.Disabled,
            ["created_at"] = account.CreatedAt.UtcDateTime,
            ["verification"] = Documents.Write(account.Verification),
            ["mfa"] = Documents.Write(account.Mfa),
        };
        if (account.PasswordReset is not null) document["password_reset"] = Documents.Write(account.PasswordReset);
        if (account.Deletion is not null) document["deletion"] = Documents.Write(account.Deletion);
        if (account.Deletion is { Status: DeletionStatus.Scheduled, After: { } after }) document["deletion_after"] = after.UtcDateTime;
        return document;
    }

    private static Account? Read(BsonDocument? d) => d is null ? null : new(
        d["_id"].AsString, d["email"].AsString, d["email_normalised"].AsString, d["password"].AsString,
        d["disabled"].AsBoolean, new DateTimeOffset(d["created_at"].ToUniversalTime()),
        Documents.Read<EmailVerification>(d["verification"].AsBsonDocument)!, Documents.Read<MultiFactor>(d["mfa"].AsBsonDocument)!,
        d.TryGetValue("password_reset", out var reset) ? Documents.Read<ExpiringToken>(reset.AsBsonDocument) : null,
        d.TryGetValue("deletion", out var deletion) ? Documents.Read<AccountDeletion>(deletion.AsBsonDocument) : null);
}

public sealed class MongoMfaTicketStore(MongoSchema schema) : IMfaTicketStore
{
    public Task CreateAsync(MfaTicket ticket, CancellationToken cancellationToken = default) =>
        MongoSchema.InsertAsync(schema.MfaTickets, Documents.Write(ticket), cancellationToken);

    public async Task<MfaTicket?> FindByTokenAsync(string token, CancellationToken cancellationToken = default) =>
        Documents.Read<MfaTicket>(await schema.MfaTickets.Find(MongoSchema.Is("token", token)).FirstOrDefaultAsync(cancellationToken));

    public async Task<bool> DeleteAsync(string id, CancellationToken cancellationToken = default) =>
        (await schema.MfaTickets.DeleteOneAsync(MongoSchema.Is("_id", id), cancellationToken)).DeletedCount == 1;

    public Task DeleteAllAsync(string accountId, CancellationToken cancellationToken = default) =>
        schema.MfaTickets.DeleteManyAsync(MongoSchema.Is("account_id", accountId), cancellationToken);

    public async Task<long> DeleteCreatedBeforeAsync(DateTimeOffset cutoff, CancellationToken cancellationToken = default) =>
        (await schema.MfaTickets.DeleteManyAsync(Builders<BsonDocument>.Filter.Lt("_id", UlidBound.Before(cutoff)), cancellationToken)).DeletedCount;
}

public sealed class MongoExternalIdentityStore(MongoSchema schema) : IExternalIdentityStore
{
    public async Task<string?> FindAccountAsync(string issuer, string subject, CancellationToken cancellationToken = default) =>
        (await schema.ExternalIdentities.Find(MongoSchema.Is("_id", Key(issuer, subject))).FirstOrDefaultAsync(cancellationToken))?["account_id"].AsString;

    public async Task<bool> LinkAsync(string issuer, string subject, string accountId, CancellationToken cancellationToken = default)
    {
        try
        {
            await MongoSchema.InsertAsync(schema.ExternalIdentities,
                new BsonDocument { ["_id"] = Key(issuer, subject), ["issuer"] = issuer, ["subject"] = subject, ["account_id"] = accountId },
                cancellationToken, idRule: "identity");
            return true;
        }
        catch (DuplicateKeyException)
        {
            return false;
        }
    }

    /// <summary>One key for the pair: an issuer is a URL, which holds no space, so the first space separates them.</summary>
    private static string Key(string issuer, string subject) => issuer + " " + subject;
}

public sealed class MongoSignupInviteStore(MongoSchema schema) : ISignupInviteStore
{
    public Task CreateAsync(SignupInvite invite, CancellationToken cancellationToken = default) =>
        MongoSchema.InsertAsync(schema.SignupInvites, Write(invite), cancellationToken, idRule: "code");

    public async Task<SignupInvite?> GetAsync(string code, CancellationToken cancellationToken = default) =>
        Read(await schema.SignupInvites.Find(MongoSchema.Is("_id", code)).FirstOrDefaultAsync(cancellationToken));

    public async Task<bool> ClaimAsync(string code, string accountId, CancellationToken cancellationToken = default) =>
        (await schema.SignupInvites.UpdateOneAsync(MongoSchema.And(MongoSchema.Is("_id", code), MongoSchema.Is("used", false)),
            Builders<BsonDocument>.Update.Set("used", true).Set("claimed_by", accountId), cancellationToken: cancellationToken)).ModifiedCount == 1;

    public async Task<IReadOnlyList<SignupInvite>> ListAsync(CancellationToken cancellationToken = default) =>
        (await schema.SignupInvites.Find(FilterDefinition<BsonDocument>.Empty).SortBy(d => d["_id"]).ToListAsync(cancellationToken)).Select(d => Read(d)!).ToList();

    /// <summary>Authifier's shape: <c>{_id: code, used, claimed_by}</c>.</summary>
    private static BsonDocument Write(SignupInvite invite) => new()
    {
        ["_id"] = invite.Code, ["used"] = invite.ClaimedBy is not null, ["claimed_by"] = invite.ClaimedBy is null ? BsonNull.Value : invite.ClaimedBy,
    };

    private static SignupInvite? Read(BsonDocument? d) => d is null ? null : new(d["_id"].AsString, d["claimed_by"].IsBsonNull ? null : d["claimed_by"].AsString);
}

public sealed class MongoUnreadStore(MongoSchema schema) : IUnreadStore
{
    public Task AckAsync(string userId, IReadOnlyCollection<string> channelIds, string messageId, CancellationToken cancellationToken = default) =>
        channelIds.Count == 0 ? Task.CompletedTask : schema.Unreads.BulkWriteAsync(channelIds.Select(channel =>
        {
            var unread = new ChannelUnread(new ChannelUnreadKey(channel, userId), messageId, null);
            return new ReplaceOneModel<BsonDocument>(MongoSchema.Is("_id", Documents.Write(unread.Id)), Documents.Write(unread)) { IsUpsert = true };
        }), cancellationToken: cancellationToken);

    public async Task<IReadOnlyList<ChannelUnread>> ListAsync(string userId, CancellationToken cancellationToken = default) =>
        (await schema.Unreads.Find(MongoSchema.Is("_id.user", userId)).ToListAsync(cancellationToken)).Select(d => Documents.Read<ChannelUnread>(d)!).ToList();

    public Task AddMentionAsync(IReadOnlyCollection<string> userIds, string channelId, string messageId, CancellationToken cancellationToken = default) =>
        userIds.Count == 0 ? Task.CompletedTask : schema.Unreads.BulkWriteAsync(userIds.Distinct().Select(user =>
            new UpdateOneModel<BsonDocument>(MongoSchema.Is("_id", Documents.Write(new ChannelUnreadKey(channelId, user))),
                Builders<BsonDocument>.Update.Push("mentions", messageId)) { IsUpsert = true }), cancellationToken: cancellationToken);
}

public sealed class MongoSessionStore(MongoSchema schema) : ISessionStore
{
    public Task CreateAsync(Session session, CancellationToken cancellationToken = default) => MongoSchema.InsertAsync(schema.Sessions, new BsonDocument
    {
        ["_id"] = session.Id,
        ["user_id"] = session.UserId,
        ["token"] = session.Token,
        ["name"] = session.Name,
        ["last_seen"] = session.LastSeen.UtcDateTime,
        ["subscription"] = session.Subscription is null ? BsonNull.Value : Documents.Write(session.Subscription),
    }, cancellationToken);

    public async Task<Session?> FindByTokenAsync(string token, CancellationToken cancellationToken = default) =>
        Read(await schema.Sessions.Find(MongoSchema.Is("token", token)).FirstOrDefaultAsync(cancellationToken));

    public async Task<IReadOnlyList<Session>> ListAsync(string userId, CancellationToken cancellationToken = default) =>
        (await schema.Sessions.Find(MongoSchema.Is("user_id", userId)).SortBy(d => d["_id"]).ToListAsync(cancellationToken)).Select(d => Read(d)!).ToList();

    public async Task<bool> RenameAsync(string userId, string sessionId, string name, CancellationToken cancellationToken = default) =>
        (await schema.Sessions.UpdateOneAsync(MongoSchema.And(MongoSchema.Is("_id", sessionId), MongoSchema.Is("user_id", userId)),
            Builders<BsonDocument>.Update.Set("name", name), cancellationToken: cancellationToken)).MatchedCount == 1;

    public async Task<bool> SetSubscriptionAsync(string userId, string sessionId, WebPushSubscription? subscription,
        CancellationToken cancellationToken = default) =>
        (await schema.Sessions.UpdateOneAsync(MongoSchema.And(MongoSchema.Is("_id", sessionId), MongoSchema.Is("user_id", userId)),
            subscription is null
                ? Builders<BsonDocument>.Update.Unset("subscription")
                : Builders<BsonDocument>.Update.Set("subscription", Documents.Write(subscription)),
            cancellationToken: cancellationToken)).MatchedCount == 1;

    public async Task<bool> DeleteAsync(string userId, string sessionId, CancellationToken cancellationToken = default) =>
        (await schema.Sessions.DeleteOneAsync(MongoSchema.And(MongoSchema.Is("_id", sessionId), MongoSchema.Is("user_id", userId)), cancellationToken)).DeletedCount == 1;

    public async Task<int> DeleteAllAsync(string userId, string? keepSessionId, CancellationToken cancellationToken = default)
    {
        var filter = keepSessionId is null
            ? MongoSchema.Is("user_id", userId)
            : MongoSchema.And(MongoSchema.Is("user_id", userId), Builders<BsonDocument>.Filter.Ne("_id", keepSessionId));
        return (int)(await schema.Sessions.DeleteManyAsync(filter, cancellationToken)).DeletedCount;
    }

    private static Session? Read(BsonDocument? d) => d is null ? null : new(
        d["_id"].AsString, d["user_id"].AsString, d["token"].AsString, d["name"].AsString, new DateTimeOffset(d["last_seen"].ToUniversalTime()),
        Documents.Read<WebPushSubscription>(d.GetValue("subscription", BsonNull.Value) as BsonDocument));
}

public sealed class MongoUserStore(MongoSchema schema) : IUserStore
{
    public Task CreateAsync(User user, CancellationToken cancellationToken = default) => MongoSchema.InsertAsync(schema.Users, new BsonDocument
    {
        ["_id"] = user.Id,
        ["username"] = user.Username,
        ["username_lower"] = user.Username.ToLowerInvariant(),
        ["discriminator"] = user.Discriminator,
        ["display_name"] = Nullable(user.DisplayName),
        ["badges"] = user.Badges,
        ["flags"] = user.Flags,
        ["privileged"] = user.Privileged,
        ["created_at"] = user.CreatedAt.UtcDateTime,
    }.AddRange(user.BotOwner is null ? new BsonDocument() : new BsonDocument("bot", new BsonDocument("owner", user.BotOwner))), cancellationToken);

    public async Task<User?> GetAsync(string id, CancellationToken cancellationToken = default) =>
        Read(await schema.Users.Find(MongoSchema.Is("_id", id)).FirstOrDefaultAsync(cancellationToken));

    public async Task<IReadOnlyList<User>> GetManyAsync(IReadOnlyCollection<string> ids, CancellationToken cancellationToken = default) =>
        (await schema.Users.Find(Builders<BsonDocument>.Filter.In("_id", ids)).ToListAsync(cancellationToken)).Select(d => Read(d)!).ToList();

    public async Task UpdateProfileAsync(User user, CancellationToken cancellationToken = default)
    {
        var update = Builders<BsonDocument>.Update
            .Set("display_name", Nullable(user.DisplayName))
            .Set("status", new BsonDocument { ["text"] = Nullable(user.StatusText), ["presence"] = Nullable(user.StatusPresence) })
            .Set("profile", new BsonDocument { ["content"] = Nullable(user.ProfileContent), ["background"] = FileValue(user.ProfileBackground) })
            .Set("avatar", FileValue(user.Avatar))
            .Set("badges", user.Badges)
            .Set("flags", user.Flags);
        await schema.Users.UpdateOneAsync(MongoSchema.Is("_id", user.Id), update, cancellationToken: cancellationToken);
    }

    public Task<bool> UpdateProfileAsync(string id, FieldUpdate update, CancellationToken cancellationToken = default) =>
        MongoFieldUpdates.ApplyAsync(schema.Users, MongoSchema.Is("_id", id), update, cancellationToken);

    public async Task ChangeUsernameAsync(string id, string username, string discriminator, CancellationToken cancellationToken = default)
    {
        try
        {
            await schema.Users.UpdateOneAsync(MongoSchema.Is("_id", id), Builders<BsonDocument>.Update
                .Set("username", username).Set("username_lower", username.ToLowerInvariant()).Set("discriminator", discriminator),
                cancellationToken: cancellationToken);
        }
        catch (MongoWriteException e) when (e.WriteError.Category == ServerErrorCategory.DuplicateKey)
        {
            throw new DuplicateKeyException("username");
        }
    }

    private static BsonValue Nullable(string? value) => value is null ? BsonNull.Value : value;

    private static BsonValue FileValue(AutumnFile? file) => file is null ? BsonNull.Value : Documents.Write(file);

    private static AutumnFile? ReadFile(BsonDocument document, string name) =>
        document.TryGetValue(name, out var value) && value.IsBsonDocument ? Documents.Read<AutumnFile>(value.AsBsonDocument) : null;

    private static string? Text(BsonDocument document, string name, string field) =>
        document.TryGetValue(name, out var nested) && nested.IsBsonDocument && nested.AsBsonDocument.TryGetValue(field, out var value) && !value.IsBsonNull
            ? value.AsString
            : null;

    public async Task<User?> FindByUsernameAsync(string username, string discriminator, CancellationToken cancellationToken = default) =>
        Read(await schema.Users.Find(MongoSchema.And(MongoSchema.Is("username_lower", username.ToLowerInvariant()), MongoSchema.Is("discriminator", discriminator)))
            .FirstOrDefaultAsync(cancellationToken));

    /// <summary>Relationships live on the user document, as Stoat keeps them: <c>relations: [{_id, status}]</c>.</summary>
    public async Task<IReadOnlyDictionary<string, RelationshipStatus>> GetRelationshipsAsync(string userId, CancellationToken cancellationToken = default)
    {
        var user = await schema.Users.Find(MongoSchema.Is("_id", userId)).Project(Builders<BsonDocument>.Projection.Include("relations")).FirstOrDefaultAsync(cancellationToken);
        return user is not null && user.TryGetValue("relations", out var relations)
            ? relations.AsBsonArray.Select(r => r.AsBsonDocument).ToDictionary(r => r["_id"].AsString, r => Enum.Parse<RelationshipStatus>(r["status"].AsString))
            : new Dictionary<string, RelationshipStatus>();
    }

    public async Task SetRelationshipAsync(string userId, string otherId, RelationshipStatus userStatus, RelationshipStatus otherStatus,
        CancellationToken cancellationToken = default)
    {
        // Two documents: written one after the other, each write idempotent, so a retry completes a half-done change.
        await SetSideAsync(userId, otherId, userStatus, cancellationToken);
        await SetSideAsync(otherId, userId, otherStatus, cancellationToken);
    }

    /// <summary>
    /// Keeps one entry per other user, even when two changes meet: an entry is changed where it is, and added
    /// only where none is (a pull followed by a push could leave two).
    /// </summary>
    private async Task SetSideAsync(string userId, string otherId, RelationshipStatus status, CancellationToken cancellationToken)
    {
        var update = Builders<BsonDocument>.Update;
        var user = MongoSchema.Is("_id", userId);
        if (status == RelationshipStatus.None)
        {
            await schema.Users.UpdateOneAsync(user, update.PullFilter("relations", Builders<BsonDocument>.Filter.Eq("_id", otherId)), cancellationToken: cancellationToken);
            return;
        }
        var change = () => schema.Users.UpdateOneAsync(MongoSchema.And(user, MongoSchema.Is("relations._id", otherId)),
            update.Set("relations.$.status", status.ToString()), cancellationToken: cancellationToken);
        if ((await change()).MatchedCount == 1) return;
        var added = await schema.Users.UpdateOneAsync(MongoSchema.And(user, Builders<BsonDocument>.Filter.Ne("relations._id", otherId)),
            update.Push("relations", new BsonDocument { ["_id"] = otherId, ["status"] = status.ToString() }), cancellationToken: cancellationToken);
        // Added meanwhile by the other change: set it to this one's status, as the later write.
        if (added.MatchedCount == 0) await change();
    }

    private static User? Read(BsonDocument? d) => d is null ? null : new User(
            d["_id"].AsString, d["username"].AsString, d["discriminator"].AsString,
            d.TryGetValue("display_name", out var displayName) && !displayName.IsBsonNull ? displayName.AsString : null,
            d["badges"].AsInt32, d["flags"].AsInt32, d["privileged"].AsBoolean, new DateTimeOffset(d["created_at"].ToUniversalTime()),
            Text(d, "status", "text"), Text(d, "status", "presence"), Text(d, "profile", "content"), Text(d, "bot", "owner"), ReadFile(d, "avatar"),
            d.TryGetValue("profile", out var profile) && profile.IsBsonDocument ? ReadFile(profile.AsBsonDocument, "background") : null);

    public async Task<IReadOnlySet<string>> DiscriminatorsInUseAsync(string username, CancellationToken cancellationToken = default) =>
        (await schema.Users.Find(MongoSchema.Is("username_lower", username.ToLowerInvariant()))
            .Project(Builders<BsonDocument>.Projection.Include("discriminator"))
            .ToListAsync(cancellationToken)).Select(d => d["discriminator"].AsString).ToHashSet();
}
