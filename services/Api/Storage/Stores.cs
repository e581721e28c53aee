using Spokes.Permissions;

namespace Spokes.Api.Storage;

/// <summary>
/// Aggregate-shaped stores, as Stoat's <c>Abstract&lt;Aggregate&gt;</c> traits: each method is one query
/// the Api needs, backed by an index in every provider. Providers: SQLite (local profile) and MongoDB.
/// </summary>
/// <summary>The single-use tokens an account can have outstanding, each looked up by its own index.</summary>
public enum AccountTokenKind { Verification, PasswordReset, Deletion }

public interface IAccountStore
{
    /// <summary>Throws <see cref="DuplicateKeyException"/> ("email") if the normalised email is taken.</summary>
    Task CreateAsync(Account account, CancellationToken cancellationToken = default);

    Task<Account?> FindByEmailAsync(string emailNormalised, CancellationToken cancellationToken = default);

    Task<Account?> GetAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>The account whose outstanding <paramref name="kind"/> token is <paramref name="token"/>, expired or not.</summary>
    Task<Account?> FindByTokenAsync(AccountTokenKind kind, string token, CancellationToken cancellationToken = default);

    /// <summary>Writes the account's new state over the old. Throws <see cref="DuplicateKeyException"/> ("email") if its new email is taken.</summary>
    Task UpdateAsync(Account account, CancellationToken cancellationToken = default);

    /// <summary>Accounts whose scheduled deletion is due at <paramref name="now"/>.</summary>
    Task<IReadOnlyList<Account>> DueForDeletionAsync(DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>Up to <paramref name="limit"/> accounts in id order, from the first after <paramref name="afterId"/> (from the start when null).</summary>
    Task<IReadOnlyList<Account>> ListAsync(string? afterId, int limit, CancellationToken cancellationToken = default);

    /// <summary>
    /// Sets the account's normalised email if its email is still <paramref name="email"/>; false when it is not.
    /// Throws <see cref="DuplicateKeyException"/> ("email") if another account has that normalised email.
    /// </summary>
    Task<bool> SetEmailNormalisedAsync(string id, string email, string emailNormalised, CancellationToken cancellationToken = default);
}

public interface IMfaTicketStore
{
    Task CreateAsync(MfaTicket ticket, CancellationToken cancellationToken = default);

    Task<MfaTicket?> FindByTokenAsync(string token, CancellationToken cancellationToken = default);

    /// <summary>Uses the ticket up; false when it was already gone, so two requests can never both use one ticket.</summary>
    Task<bool> DeleteAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Removes every ticket of the account (on password reset, disable and deletion).</summary>
    Task DeleteAllAsync(string accountId, CancellationToken cancellationToken = default);

    /// <summary>Removes every ticket whose id (a ULID, which records its creation time) is older than <paramref name="cutoff"/>; returns how many.</summary>
    Task<long> DeleteCreatedBeforeAsync(DateTimeOffset cutoff, CancellationToken cancellationToken = default);
}

public interface ISignupInviteStore
{
    /// <summary>Throws <see cref="DuplicateKeyException"/> ("code") if the code exists.</summary>
    Task CreateAsync(SignupInvite invite, CancellationToken cancellationToken = default);

    Task<SignupInvite?> GetAsync(string code, CancellationToken cancellationToken = default);

    /// <summary>Marks an unused invite used by <paramref name="accountId"/>; false when it is unknown or already used.</summary>
    Task<bool> ClaimAsync(string code, string accountId, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<SignupInvite>> ListAsync(CancellationToken cancellationToken = default);
}

/// <summary>Accounts made by an external OpenID provider, found by (issuer, subject) and never by e-mail.</summary>
public interface IExternalIdentityStore
{
    Task<string?> FindAccountAsync(string issuer, string subject, CancellationToken cancellationToken = default);

    /// <summary>Links the identity to the account; false when the identity is linked already (to whatever account).</summary>
    Task<bool> LinkAsync(string issuer, string subject, string accountId, CancellationToken cancellationToken = default);
}

public interface IUnreadStore
{
    /// <summary>Marks the channels read up to <paramref name="messageId"/> for the user and clears their mentions there.</summary>
    Task AckAsync(string userId, IReadOnlyCollection<string> channelIds, string messageId, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<ChannelUnread>> ListAsync(string userId, CancellationToken cancellationToken = default);

    /// <summary>Records that the message mentions each of <paramref name="userIds"/>, until they read the channel.</summary>
    Task AddMentionAsync(IReadOnlyCollection<string> userIds, string channelId, string messageId, CancellationToken cancellationToken = default);
}

public interface ISessionStore
{
    Task CreateAsync(Session session, CancellationToken cancellationToken = default);

    Task<Session?> FindByTokenAsync(string token, CancellationToken cancellationToken = default);

    /// <summary>The user's sessions, oldest first.</summary>
    Task<IReadOnlyList<Session>> ListAsync(string userId, CancellationToken cancellationToken = default);

    /// <summary>Renames the user's session; false when the user has no such session.</summary>
    Task<bool> RenameAsync(string userId, string sessionId, string name, CancellationToken cancellationToken = default);

    /// <summary>Sets or, with null, removes the session's push subscription; false when the user has no such session.</summary>
    Task<bool> SetSubscriptionAsync(string userId, string sessionId, WebPushSubscription? subscription, CancellationToken cancellationToken = default);

    /// <summary>Deletes the user's session; false when the user has no such session.</summary>
    Task<bool> DeleteAsync(string userId, string sessionId, CancellationToken cancellationToken = default);

    /// <summary>Deletes every session of the user except <paramref name="keepSessionId"/>; returns how many went.</summary>
    Task<int> DeleteAllAsync(string userId, string? keepSessionId, CancellationToken cancellationToken = default);
}

public interface IUserStore
{
    /// <summary>Throws <see cref="DuplicateKeyException"/> ("username") if the name and discriminator are taken, case-insensitively.</summary>
    Task CreateAsync(User user, CancellationToken cancellationToken = default);

    Task<User?> GetAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>The users of <paramref name="ids"/> that exist, in no particular order.</summary>
    Task<IReadOnlyList<User>> GetManyAsync(IReadOnlyCollection<string> ids, CancellationToken cancellationToken = default);

    /// <summary>The discriminators already used with <paramref name="username"/>, case-insensitively.</summary>
    Task<IReadOnlySet<string>> DiscriminatorsInUseAsync(string username, CancellationToken cancellationToken = default);

    /// <summary>Writes what a user edits of themselves: display name, status and profile text, badges and flags.</summary>
    Task UpdateProfileAsync(User user, CancellationToken cancellationToken = default);

    /// <summary>
    /// Writes only the profile fields the update names, by the paths of Stoat's user document: <c>display_name</c>,
    /// <c>status.text</c>, <c>status.presence</c>, <c>profile.content</c>, <c>badges</c> and <c>flags</c>. False when the
    /// user is gone or an expectation failed.
    /// </summary>
    Task<bool> UpdateProfileAsync(string id, FieldUpdate update, CancellationToken cancellationToken = default);

    /// <summary>Throws <see cref="DuplicateKeyException"/> ("username") if the name and discriminator are taken.</summary>
    Task ChangeUsernameAsync(string id, string username, string discriminator, CancellationToken cancellationToken = default);

    Task<User?> FindByUsernameAsync(string username, string discriminator, CancellationToken cancellationToken = default);

    /// <summary>How <paramref name="userId"/> stands with every user they have a relationship with.</summary>
    Task<IReadOnlyDictionary<string, RelationshipStatus>> GetRelationshipsAsync(string userId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Sets both sides of a relationship together: <paramref name="userStatus"/> is how <paramref name="userId"/>
    /// stands with <paramref name="otherId"/>, <paramref name="otherStatus"/> the reverse; <see cref="RelationshipStatus.None"/> removes a side.
    /// </summary>
    Task SetRelationshipAsync(string userId, string otherId, RelationshipStatus userStatus, RelationshipStatus otherStatus,
        CancellationToken cancellationToken = default);
}

public interface IServerStore
{
    Task CreateAsync(Server server, CancellationToken cancellationToken = default);

    Task<Server?> GetAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Writes only the fields the update names; false when the server is gone or an expectation failed.</summary>
    Task<bool> UpdateAsync(string id, FieldUpdate update, CancellationToken cancellationToken = default);

    /// <summary>Appends a channel to the server's list.</summary>
    Task AddChannelAsync(string id, string channelId, CancellationToken cancellationToken = default);

    /// <summary>Takes a channel out of the server's list and out of every category.</summary>
    Task RemoveChannelAsync(string id, string channelId, CancellationToken cancellationToken = default);

    /// <summary>Deletes the server with its channels, members, bans and invites.</summary>
    Task DeleteAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>How many servers the instance has (demo mode's limit).</summary>
    Task<long> CountAsync(CancellationToken cancellationToken = default);
}

public interface IChannelStore
{
    /// <summary>
    /// Two users have one DM, and a user one saved messages: storing another throws
    /// <see cref="DuplicateKeyException"/> ("direct_key").
    /// </summary>
    Task CreateAsync(Channel channel, CancellationToken cancellationToken = default);

    Task<Channel?> GetAsync(string id, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<Channel>> ListByServerAsync(string serverId, CancellationToken cancellationToken = default);

    /// <summary>The user's saved messages, DMs and groups.</summary>
    Task<IReadOnlyList<Channel>> ListPrivateAsync(string userId, CancellationToken cancellationToken = default);

    /// <summary>The DM between two users (or a user's saved messages, when both are the same user).</summary>
    Task<Channel?> FindDirectAsync(string userId, string otherId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Writes only the fields the update names; false when the channel is gone or an expectation failed. Who is
    /// in a channel (<c>recipients</c>, <c>user</c>, <c>server</c>) changes only through the methods below.
    /// </summary>
    Task<bool> UpdateAsync(string id, FieldUpdate update, CancellationToken cancellationToken = default);

    /// <summary>Adds the user to the group unless they are in it or it has <paramref name="maxRecipients"/> already; false when not added.</summary>
    Task<bool> AddRecipientAsync(string groupId, string userId, int maxRecipients, CancellationToken cancellationToken = default);

    /// <summary>
    /// Takes the user out of the group; if they owned it, the first who remains owns it now. Returns the group
    /// as it then is; null when they were not in it.
    /// </summary>
    Task<Group?> RemoveRecipientAsync(string groupId, string userId, CancellationToken cancellationToken = default);

    /// <summary>Deletes the channel with its invites.</summary>
    Task DeleteAsync(string id, CancellationToken cancellationToken = default);
}

/// <summary>
/// Server members. As in Stoat, a member who leaves (or is kicked or banned) while timed out is set aside
/// rather than deleted: no longer a member (not found, listed or counted), but joining again before the timeout
/// ends brings it back.
/// </summary>
public interface IMemberStore
{
    /// <summary>
    /// Makes the user a member and returns the member as stored: one set aside comes back with its timeout and
    /// voice flags when the timeout runs past <see cref="Member.JoinedAt"/> (see <see cref="Member.Rejoining"/>).
    /// Throws <see cref="DuplicateKeyException"/> if the user is already a member.
    /// </summary>
    Task<Member> CreateAsync(Member member, CancellationToken cancellationToken = default);

    Task<Member?> GetAsync(string serverId, string userId, CancellationToken cancellationToken = default);

    /// <summary>The members among <paramref name="userIds"/>, in no particular order.</summary>
    Task<IReadOnlyList<Member>> GetManyAsync(string serverId, IReadOnlyCollection<string> userIds, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<Member>> ListAsync(string serverId, CancellationToken cancellationToken = default);

    Task<int> CountAsync(string serverId, CancellationToken cancellationToken = default);

    /// <summary>Ids of the servers the user is a member of.</summary>
    Task<IReadOnlyList<string>> ServersOfAsync(string userId, CancellationToken cancellationToken = default);

    /// <summary>Writes only the fields the update names; false when the user is not a member or an expectation failed.</summary>
    Task<bool> UpdateAsync(string serverId, string userId, FieldUpdate update, CancellationToken cancellationToken = default);

    /// <summary>
    /// Takes the user out of the server; one still timed out at <paramref name="now"/> is set aside with the
    /// timeout and voice flags (nickname and roles go). False when the user was not a member.
    /// </summary>
    Task<bool> RemoveAsync(string serverId, string userId, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>Takes a deleted role away from every member who had it.</summary>
    Task RemoveRoleAsync(string serverId, string roleId, CancellationToken cancellationToken = default);
}

public interface IBanStore
{
    /// <summary>Bans the user, or replaces the reason of an existing ban.</summary>
    Task SaveAsync(ServerBan ban, CancellationToken cancellationToken = default);

    Task<ServerBan?> GetAsync(string serverId, string userId, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<ServerBan>> ListAsync(string serverId, CancellationToken cancellationToken = default);

    Task<bool> DeleteAsync(string serverId, string userId, CancellationToken cancellationToken = default);
}

public interface IInviteStore
{
    /// <summary>Throws <see cref="DuplicateKeyException"/> ("code") if the code is taken.</summary>
    Task CreateAsync(Invite invite, CancellationToken cancellationToken = default);

    Task<Invite?> GetAsync(string code, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<Invite>> ListByServerAsync(string serverId, CancellationToken cancellationToken = default);

    Task<bool> DeleteAsync(string code, CancellationToken cancellationToken = default);
}
