using System.Globalization;
using Microsoft.Data.Sqlite;
using Spokes.Permissions;

namespace Spokes.Api.Storage.Sqlite;

internal static class SqliteValues
{
    public static string Time(DateTimeOffset value) => value.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);

    public static DateTimeOffset Time(SqliteDataReader reader, string column) =>
        DateTimeOffset.Parse(reader.GetString(reader.GetOrdinal(column)), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    public static string Text(SqliteDataReader reader, string column) => reader.GetString(reader.GetOrdinal(column));

    public static string? NullableText(SqliteDataReader reader, string column) =>
        reader.IsDBNull(reader.GetOrdinal(column)) ? null : reader.GetString(reader.GetOrdinal(column));

    public static long Number(SqliteDataReader reader, string column) => reader.GetInt64(reader.GetOrdinal(column));
}

public sealed class SqliteAccountStore(SqliteDatabase database) : IAccountStore
{
    public Task CreateAsync(Account account, CancellationToken cancellationToken = default) => database.ExecuteAsync(
        "INSERT INTO accounts (id, email, email_normalised, password, verified, disabled, created_at) " +
        "VALUES ($id, $email, $normalised, $password, $verified, $disabled, $created)",
        new Dictionary<string, object?>
        {
            ["id"] = account.Id, ["email"] = account.Email, ["normalised"] = account.EmailNormalised, ["password"] = account.PasswordHash,
            ["verified"] = account.Verified, ["disabled"] = account.Disabled, ["created"] = SqliteValues.Time(account.CreatedAt),
        }, cancellationToken);

    public async Task<Account?> FindByEmailAsync(string emailNormalised, CancellationToken cancellationToken = default) =>
        (await database.QueryAsync("SELECT * FROM accounts WHERE email_normalised = $email",
            new Dictionary<string, object?> { ["email"] = emailNormalised }, Read, cancellationToken)).SingleOrDefault();

    public async Task<Account?> GetAsync(string id, CancellationToken cancellationToken = default) =>
        (await database.QueryAsync("SELECT * FROM accounts WHERE id = $id",
            new Dictionary<string, object?> { ["id"] = id }, Read, cancellationToken)).SingleOrDefault();

    public Task UpdatePasswordAsync(string id, string passwordHash, CancellationToken cancellationToken = default) =>
        database.ExecuteAsync("UPDATE accounts SET password = $password WHERE id = $id",
            new Dictionary<string, object?> { ["id"] = id, ["password"] = passwordHash }, cancellationToken);

    public Task ChangeEmailAsync(string id, string email, string emailNormalised, CancellationToken cancellationToken = default) =>
        database.ExecuteAsync("UPDATE accounts SET email = $email, email_normalised = $normalised WHERE id = $id",
            new Dictionary<string, object?> { ["id"] = id, ["email"] = email, ["normalised"] = emailNormalised }, cancellationToken);

    private static Account Read(SqliteDataReader r) => new(
        SqliteValues.Text(r, "id"), SqliteValues.Text(r, "email"), SqliteValues.Text(r, "email_normalised"), SqliteValues.Text(r, "password"),
        SqliteValues.Number(r, "verified") != 0, SqliteValues.Number(r, "disabled") != 0, SqliteValues.Time(r, "created_at"));
}

public sealed class SqliteSessionStore(SqliteDatabase database) : ISessionStore
{
    public Task CreateAsync(Session session, CancellationToken cancellationToken = default) => database.ExecuteAsync(
        "INSERT INTO sessions (id, user_id, token, name, last_seen) VALUES ($id, $user, $token, $name, $seen)",
        new Dictionary<string, object?>
        {
            ["id"] = session.Id, ["user"] = session.UserId, ["token"] = session.Token, ["name"] = session.Name,
            ["seen"] = SqliteValues.Time(session.LastSeen),
        }, cancellationToken);

    public async Task<Session?> FindByTokenAsync(string token, CancellationToken cancellationToken = default) =>
        (await database.QueryAsync("SELECT * FROM sessions WHERE token = $token",
            new Dictionary<string, object?> { ["token"] = token }, Read, cancellationToken)).SingleOrDefault();

    public async Task<IReadOnlyList<Session>> ListAsync(string userId, CancellationToken cancellationToken = default) =>
        await database.QueryAsync("SELECT * FROM sessions WHERE user_id = $user ORDER BY id",
            new Dictionary<string, object?> { ["user"] = userId }, Read, cancellationToken);

    public async Task<bool> RenameAsync(string userId, string sessionId, string name, CancellationToken cancellationToken = default) =>
        await database.ExecuteAsync("UPDATE sessions SET name = $name WHERE id = $id AND user_id = $user",
            new Dictionary<string, object?> { ["name"] = name, ["id"] = sessionId, ["user"] = userId }, cancellationToken) == 1;

    public async Task<bool> DeleteAsync(string userId, string sessionId, CancellationToken cancellationToken = default) =>
        await database.ExecuteAsync("DELETE FROM sessions WHERE id = $id AND user_id = $user",
            new Dictionary<string, object?> { ["id"] = sessionId, ["user"] = userId }, cancellationToken) == 1;

    public Task<int> DeleteAllAsync(string userId, string? keepSessionId, CancellationToken cancellationToken = default) =>
        database.ExecuteAsync("DELETE FROM sessions WHERE user_id = $user AND ($keep IS NULL OR id <> $keep)",
            new Dictionary<string, object?> { ["user"] = userId, ["keep"] = keepSessionId }, cancellationToken);

    private static Session Read(SqliteDataReader r) => new(
        SqliteValues.Text(r, "id"), SqliteValues.Text(r, "user_id"), SqliteValues.Text(r, "token"), SqliteValues.Text(r, "name"),
        SqliteValues.Time(r, "last_seen"));
}

public sealed class SqliteUserStore(SqliteDatabase database) : IUserStore
{
    public Task CreateAsync(User user, CancellationToken cancellationToken = default) => database.ExecuteAsync(
        "INSERT INTO users (id, username, username_lower, discriminator, display_name, badges, flags, privileged, created_at) " +
        "VALUES ($id, $username, $lower, $discriminator, $display, $badges, $flags, $privileged, $created)",
        new Dictionary<string, object?>
        {
            ["id"] = user.Id, ["username"] = user.Username, ["lower"] = user.Username.ToLowerInvariant(), ["discriminator"] = user.Discriminator,
            ["display"] = user.DisplayName, ["badges"] = user.Badges, ["flags"] = user.Flags, ["privileged"] = user.Privileged,
            ["created"] = SqliteValues.Time(user.CreatedAt),
        }, cancellationToken);

    public async Task<User?> GetAsync(string id, CancellationToken cancellationToken = default) =>
        (await database.QueryAsync("SELECT * FROM users WHERE id = $id",
            new Dictionary<string, object?> { ["id"] = id }, Read, cancellationToken)).SingleOrDefault();

    public async Task<IReadOnlyList<User>> GetManyAsync(IReadOnlyCollection<string> ids, CancellationToken cancellationToken = default) =>
        await database.QueryAsync("SELECT * FROM users WHERE id IN (SELECT value FROM json_each($ids))",
            new Dictionary<string, object?> { ["ids"] = System.Text.Json.JsonSerializer.Serialize(ids) }, Read, cancellationToken);

    public async Task<IReadOnlySet<string>> DiscriminatorsInUseAsync(string username, CancellationToken cancellationToken = default) =>
        (await database.QueryAsync("SELECT discriminator FROM users WHERE username_lower = $lower",
            new Dictionary<string, object?> { ["lower"] = username.ToLowerInvariant() }, r => r.GetString(0), cancellationToken)).ToHashSet();

    public Task UpdateProfileAsync(User user, CancellationToken cancellationToken = default) => database.ExecuteAsync(
        "UPDATE users SET display_name = $display, status_text = $text, status_presence = $presence, profile_content = $content, " +
        "badges = $badges, flags = $flags WHERE id = $id",
        new Dictionary<string, object?>
        {
            ["id"] = user.Id, ["display"] = user.DisplayName, ["text"] = user.StatusText, ["presence"] = user.StatusPresence,
            ["content"] = user.ProfileContent, ["badges"] = user.Badges, ["flags"] = user.Flags,
        }, cancellationToken);

    public Task ChangeUsernameAsync(string id, string username, string discriminator, CancellationToken cancellationToken = default) =>
        database.ExecuteAsync("UPDATE users SET username = $username, username_lower = $lower, discriminator = $discriminator WHERE id = $id",
            new Dictionary<string, object?> { ["id"] = id, ["username"] = username, ["lower"] = username.ToLowerInvariant(), ["discriminator"] = discriminator },
            cancellationToken);

    public async Task<User?> FindByUsernameAsync(string username, string discriminator, CancellationToken cancellationToken = default) =>
        (await database.QueryAsync("SELECT * FROM users WHERE username_lower = $lower AND discriminator = $discriminator",
            new Dictionary<string, object?> { ["lower"] = username.ToLowerInvariant(), ["discriminator"] = discriminator }, Read, cancellationToken)).SingleOrDefault();

    public async Task<IReadOnlyDictionary<string, RelationshipStatus>> GetRelationshipsAsync(string userId, CancellationToken cancellationToken = default) =>
        (await database.QueryAsync("SELECT other_id, status FROM relationships WHERE user_id = $user",
            new Dictionary<string, object?> { ["user"] = userId }, r => (Other: r.GetString(0), Status: Enum.Parse<RelationshipStatus>(r.GetString(1))), cancellationToken))
        .ToDictionary(r => r.Other, r => r.Status);

    public Task SetRelationshipAsync(string userId, string otherId, RelationshipStatus userStatus, RelationshipStatus otherStatus,
        CancellationToken cancellationToken = default) =>
        database.ExecuteInTransactionAsync([Side(userId, otherId, userStatus), Side(otherId, userId, otherStatus)], cancellationToken);

    private static (string, IReadOnlyDictionary<string, object?>) Side(string userId, string otherId, RelationshipStatus status) =>
        status == RelationshipStatus.None
            ? ("DELETE FROM relationships WHERE user_id = $user AND other_id = $other",
                new Dictionary<string, object?> { ["user"] = userId, ["other"] = otherId })
            : ("INSERT INTO relationships (user_id, other_id, status) VALUES ($user, $other, $status) " +
               "ON CONFLICT (user_id, other_id) DO UPDATE SET status = excluded.status",
                new Dictionary<string, object?> { ["user"] = userId, ["other"] = otherId, ["status"] = status.ToString() });

    private static User Read(SqliteDataReader r) => new(
        SqliteValues.Text(r, "id"), SqliteValues.Text(r, "username"), SqliteValues.Text(r, "discriminator"), SqliteValues.NullableText(r, "display_name"),
        (int)SqliteValues.Number(r, "badges"), (int)SqliteValues.Number(r, "flags"), SqliteValues.Number(r, "privileged") != 0,
        SqliteValues.Time(r, "created_at"), SqliteValues.NullableText(r, "status_text"), SqliteValues.NullableText(r, "status_presence"),
        SqliteValues.NullableText(r, "profile_content"));
}
