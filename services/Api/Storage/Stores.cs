using Spokes.Permissions;

namespace Spokes.Api.Storage;

/// <summary>
/// Aggregate-shaped stores, as Stoat's <c>Abstract&lt;Aggregate&gt;</c> traits: each method is one query
/// the Api needs, backed by an index in every provider. Providers: SQLite (local profile) and MongoDB.
/// </summary>
public interface IAccountStore
{
    /// <summary>Throws <see cref="DuplicateKeyException"/> ("email") if the normalised email is taken.</summary>
    Task CreateAsync(Account account, CancellationToken cancellationToken = default);

    Task<Account?> FindByEmailAsync(string emailNormalised, CancellationToken cancellationToken = default);

    Task<Account?> GetAsync(string id, CancellationToken cancellationToken = default);
}

public interface ISessionStore
{
    Task CreateAsync(Session session, CancellationToken cancellationToken = default);

    Task<Session?> FindByTokenAsync(string token, CancellationToken cancellationToken = default);

    /// <summary>The user's sessions, oldest first.</summary>
    Task<IReadOnlyList<Session>> ListAsync(string userId, CancellationToken cancellationToken = default);

    /// <summary>Renames the user's session; false when the user has no such session.</summary>
    Task<bool> RenameAsync(string userId, string sessionId, string name, CancellationToken cancellationToken = default);

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

    /// <summary>The discriminators already used with <paramref name="username"/>, case-insensitively.</summary>
    Task<IReadOnlySet<string>> DiscriminatorsInUseAsync(string username, CancellationToken cancellationToken = default);

    /// <summary>Writes what a user edits of themselves: display name, status and profile text, badges and flags.</summary>
    Task UpdateProfileAsync(User user, CancellationToken cancellationToken = default);

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
