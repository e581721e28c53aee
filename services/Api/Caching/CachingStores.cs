using Spokes.Permissions;
using Spokes.Api.Storage;

namespace Spokes.Api.Caching;

/// <summary>Reads a record through the cache: held, or read from the store and kept unless invalidated meanwhile.</summary>
internal static class CachedRead
{
    public static async Task<T?> ReadAsync<T>(this RecordCache cache, string key, Func<Task<T?>> read, Func<T, string?>? group = null) where T : class
    {
        if (cache.TryGet<T>(key, out var held)) return held;
        var epoch = cache.Epoch;
        var found = await read();
        if (found is not null) cache.Add(key, found, epoch, group?.Invoke(found));
        return found;
    }
}

/// <summary>Sessions by token; any change to a user's sessions drops all of that user's.</summary>
public sealed class CachingSessionStore(ISessionStore inner, RecordCache cache, CacheInvalidation invalidation) : ISessionStore
{
    public Task CreateAsync(Session session, CancellationToken cancellationToken = default) => inner.CreateAsync(session, cancellationToken);

    public Task<Session?> FindByTokenAsync(string token, CancellationToken cancellationToken = default) =>
        cache.ReadAsync(CacheKeys.Session(token), () => inner.FindByTokenAsync(token, cancellationToken), session => CacheKeys.SessionsOf(session.UserId));

    public Task<IReadOnlyList<Session>> ListAsync(string userId, CancellationToken cancellationToken = default) => inner.ListAsync(userId, cancellationToken);

    public Task<bool> RenameAsync(string userId, string sessionId, string name, CancellationToken cancellationToken = default) =>
        invalidation.AfterAsync(() => inner.RenameAsync(userId, sessionId, name, cancellationToken), CacheKeys.SessionsOf(userId));

    public Task<bool> SetSubscriptionAsync(string userId, string sessionId, WebPushSubscription? subscription, CancellationToken cancellationToken = default) =>
        invalidation.AfterAsync(() => inner.SetSubscriptionAsync(userId, sessionId, subscription, cancellationToken), CacheKeys.SessionsOf(userId));

    public Task<bool> DeleteAsync(string userId, string sessionId, CancellationToken cancellationToken = default) =>
        invalidation.AfterAsync(() => inner.DeleteAsync(userId, sessionId, cancellationToken), CacheKeys.SessionsOf(userId));

    public Task<int> DeleteAllAsync(string userId, string? keepSessionId, CancellationToken cancellationToken = default) =>
        invalidation.AfterAsync(() => inner.DeleteAllAsync(userId, keepSessionId, cancellationToken), CacheKeys.SessionsOf(userId));
}

public sealed class CachingUserStore(IUserStore inner, RecordCache cache, CacheInvalidation invalidation) : IUserStore
{
    public Task CreateAsync(User user, CancellationToken cancellationToken = default) => inner.CreateAsync(user, cancellationToken);

    public Task<User?> GetAsync(string id, CancellationToken cancellationToken = default) =>
        cache.ReadAsync(CacheKeys.User(id), () => inner.GetAsync(id, cancellationToken));

    public Task<IReadOnlyList<User>> GetManyAsync(IReadOnlyCollection<string> ids, CancellationToken cancellationToken = default) =>
        inner.GetManyAsync(ids, cancellationToken);

    public Task<IReadOnlySet<string>> DiscriminatorsInUseAsync(string username, CancellationToken cancellationToken = default) =>
        inner.DiscriminatorsInUseAsync(username, cancellationToken);

    public Task UpdateProfileAsync(User user, CancellationToken cancellationToken = default) =>
        invalidation.AfterAsync(() => inner.UpdateProfileAsync(user, cancellationToken), CacheKeys.User(user.Id));

    public Task<bool> UpdateProfileAsync(string id, FieldUpdate update, CancellationToken cancellationToken = default) =>
        invalidation.AfterAsync(() => inner.UpdateProfileAsync(id, update, cancellationToken), CacheKeys.User(id));

    public Task ChangeUsernameAsync(string id, string username, string discriminator, CancellationToken cancellationToken = default) =>
        invalidation.AfterAsync(() => inner.ChangeUsernameAsync(id, username, discriminator, cancellationToken), CacheKeys.User(id));

    public Task<User?> FindByUsernameAsync(string username, string discriminator, CancellationToken cancellationToken = default) =>
        inner.FindByUsernameAsync(username, discriminator, cancellationToken);

    public Task<IReadOnlyDictionary<string, RelationshipStatus>> GetRelationshipsAsync(string userId, CancellationToken cancellationToken = default) =>
        inner.GetRelationshipsAsync(userId, cancellationToken);

    // Relationships are not part of the user record and are not held.
    public Task SetRelationshipAsync(string userId, string otherId, RelationshipStatus userStatus, RelationshipStatus otherStatus,
        CancellationToken cancellationToken = default) =>
        inner.SetRelationshipAsync(userId, otherId, userStatus, otherStatus, cancellationToken);
}

/// <summary>Servers (with their roles, whose permissions live in the server's record).</summary>
public sealed class CachingServerStore(IServerStore inner, RecordCache cache, CacheInvalidation invalidation) : IServerStore
{
    public Task CreateAsync(Server server, CancellationToken cancellationToken = default) => inner.CreateAsync(server, cancellationToken);

    public Task<Server?> GetAsync(string id, CancellationToken cancellationToken = default) =>
        cache.ReadAsync(CacheKeys.Server(id), () => inner.GetAsync(id, cancellationToken));

    public Task<long> CountAsync(CancellationToken cancellationToken = default) => inner.CountAsync(cancellationToken);

    public Task<bool> UpdateAsync(string id, FieldUpdate update, CancellationToken cancellationToken = default) =>
        invalidation.AfterAsync(() => inner.UpdateAsync(id, update, cancellationToken), CacheKeys.Server(id));

    public Task AddChannelAsync(string id, string channelId, CancellationToken cancellationToken = default) =>
        invalidation.AfterAsync(() => inner.AddChannelAsync(id, channelId, cancellationToken), CacheKeys.Server(id));

    public Task RemoveChannelAsync(string id, string channelId, CancellationToken cancellationToken = default) =>
        invalidation.AfterAsync(() => inner.RemoveChannelAsync(id, channelId, cancellationToken), CacheKeys.Server(id));

    /// <summary>The store deletes the server's channels and members with it.</summary>
    public Task DeleteAsync(string id, CancellationToken cancellationToken = default) =>
        invalidation.AfterAsync(() => inner.DeleteAsync(id, cancellationToken), CacheKeys.Server(id), CacheKeys.ChannelsOf(id), CacheKeys.MembersOf(id));
}

public sealed class CachingChannelStore(IChannelStore inner, RecordCache cache, CacheInvalidation invalidation) : IChannelStore
{
    public Task CreateAsync(Channel channel, CancellationToken cancellationToken = default) => inner.CreateAsync(channel, cancellationToken);

    public Task<Channel?> GetAsync(string id, CancellationToken cancellationToken = default) =>
        cache.ReadAsync(CacheKeys.Channel(id), () => inner.GetAsync(id, cancellationToken), channel => channel is TextChannel text ? CacheKeys.ChannelsOf(text.Server) : null);

    public Task<IReadOnlyList<Channel>> ListByServerAsync(string serverId, CancellationToken cancellationToken = default) =>
        inner.ListByServerAsync(serverId, cancellationToken);

    public Task<IReadOnlyList<Channel>> ListPrivateAsync(string userId, CancellationToken cancellationToken = default) =>
        inner.ListPrivateAsync(userId, cancellationToken);

    public Task<Channel?> FindDirectAsync(string userId, string otherId, CancellationToken cancellationToken = default) =>
        inner.FindDirectAsync(userId, otherId, cancellationToken);

    public Task<bool> UpdateAsync(string id, FieldUpdate update, CancellationToken cancellationToken = default) =>
        invalidation.AfterAsync(() => inner.UpdateAsync(id, update, cancellationToken), CacheKeys.Channel(id));

    public Task<bool> AddRecipientAsync(string groupId, string userId, int maxRecipients, CancellationToken cancellationToken = default) =>
        invalidation.AfterAsync(() => inner.AddRecipientAsync(groupId, userId, maxRecipients, cancellationToken), CacheKeys.Channel(groupId));

    public Task<Group?> RemoveRecipientAsync(string groupId, string userId, CancellationToken cancellationToken = default) =>
        invalidation.AfterAsync(() => inner.RemoveRecipientAsync(groupId, userId, cancellationToken), CacheKeys.Channel(groupId));

    public Task DeleteAsync(string id, CancellationToken cancellationToken = default) =>
        invalidation.AfterAsync(() => inner.DeleteAsync(id, cancellationToken), CacheKeys.Channel(id));
}

public sealed class CachingMemberStore(IMemberStore inner, RecordCache cache, CacheInvalidation invalidation) : IMemberStore
{
    // A member set aside (left while timed out) comes back with its old timeout: drop whatever may be held.
    public Task<Member> CreateAsync(Member member, CancellationToken cancellationToken = default) =>
        invalidation.AfterAsync(() => inner.CreateAsync(member, cancellationToken), CacheKeys.Member(member.Id.Server, member.Id.User));

    public Task<Member?> GetAsync(string serverId, string userId, CancellationToken cancellationToken = default) =>
        cache.ReadAsync(CacheKeys.Member(serverId, userId), () => inner.GetAsync(serverId, userId, cancellationToken), _ => CacheKeys.MembersOf(serverId));

    public Task<IReadOnlyList<Member>> GetManyAsync(string serverId, IReadOnlyCollection<string> userIds, CancellationToken cancellationToken = default) =>
        inner.GetManyAsync(serverId, userIds, cancellationToken);

    public Task<IReadOnlyList<Member>> ListAsync(string serverId, CancellationToken cancellationToken = default) => inner.ListAsync(serverId, cancellationToken);

    public Task<int> CountAsync(string serverId, CancellationToken cancellationToken = default) => inner.CountAsync(serverId, cancellationToken);

    public Task<IReadOnlyList<string>> ServersOfAsync(string userId, CancellationToken cancellationToken = default) => inner.ServersOfAsync(userId, cancellationToken);

    public Task<bool> UpdateAsync(string serverId, string userId, FieldUpdate update, CancellationToken cancellationToken = default) =>
        invalidation.AfterAsync(() => inner.UpdateAsync(serverId, userId, update, cancellationToken), CacheKeys.Member(serverId, userId));

    public Task<bool> RemoveAsync(string serverId, string userId, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        invalidation.AfterAsync(() => inner.RemoveAsync(serverId, userId, now, cancellationToken), CacheKeys.Member(serverId, userId));

    public Task RemoveRoleAsync(string serverId, string roleId, CancellationToken cancellationToken = default) =>
        invalidation.AfterAsync(() => inner.RemoveRoleAsync(serverId, roleId, cancellationToken), CacheKeys.MembersOf(serverId));
}

/// <summary>
/// A message becomes its channel's last message in the store's own write, not through the channel store: this
/// replica's held channel follows it. Another replica's held channel may show an older <c>last_message_id</c> until
/// it expires (<see cref="RecordCacheOptions.Lifetime"/>); nothing is permitted or refused by it.
/// </summary>
public sealed class CachingMessageStore(IMessageStore inner, RecordCache cache) : IMessageStore
{
    public async Task InsertAsync(Message message, IReadOnlyList<OutboxEntry> outbox, CancellationToken cancellationToken = default)
    {
        await inner.InsertAsync(message, outbox, cancellationToken);
        cache.Replace<Channel>(CacheKeys.Channel(message.Channel), channel => channel switch
        {
            TextChannel text => text with { LastMessageId = message.Id },
            DirectMessage direct => direct with { LastMessageId = message.Id },
            Group group => group with { LastMessageId = message.Id },
            _ => channel,
        });
    }

    public Task<Message?> GetAsync(string channelId, string id, CancellationToken cancellationToken = default) => inner.GetAsync(channelId, id, cancellationToken);

    public Task<Message?> FindAsync(string id, CancellationToken cancellationToken = default) => inner.FindAsync(id, cancellationToken);

    public Task<IReadOnlyList<Message>> GetManyAsync(string channelId, IReadOnlyCollection<string> ids, CancellationToken cancellationToken = default) =>
        inner.GetManyAsync(channelId, ids, cancellationToken);

    public Task<IReadOnlyList<Message>> QueryAsync(MessageQuery query, CancellationToken cancellationToken = default) => inner.QueryAsync(query, cancellationToken);

    public Task<bool> UpdateAsync(string channelId, string id, FieldUpdate update, CancellationToken cancellationToken = default) =>
        inner.UpdateAsync(channelId, id, update, cancellationToken);

    public Task<bool> UpdateAsync(string channelId, string id, FieldUpdate update, IReadOnlyList<OutboxEntry> outbox, CancellationToken cancellationToken = default) =>
        inner.UpdateAsync(channelId, id, update, outbox, cancellationToken);

    public Task<Message?> ChangeReactionsAsync(string channelId, string id, ReactionChange change, CancellationToken cancellationToken = default) =>
        inner.ChangeReactionsAsync(channelId, id, change, cancellationToken);

    public Task<int> DeleteAsync(string channelId, IReadOnlyCollection<string> ids, CancellationToken cancellationToken = default) =>
        inner.DeleteAsync(channelId, ids, cancellationToken);
}
