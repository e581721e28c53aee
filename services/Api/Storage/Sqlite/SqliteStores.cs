using System.Globalization;
using System.Text.Json;
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
    /// <summary>What the account's columns do not hold, kept as one JSON document.</summary>
    private sealed record AccountState(EmailVerification Verification, MultiFactor Mfa, ExpiringToken? PasswordReset, AccountDeletion? Deletion);

    private const string Columns = "email = $email, email_normalised = $normalised, password = $password, verified = $verified, " +
                                   "disabled = $disabled, state = $state, verification_token = $verification_token, reset_token = $reset_token, " +
                                   "deletion_token = $deletion_token, deletion_after = $deletion_after";

    public Task CreateAsync(Account account, CancellationToken cancellationToken = default) => database.ExecuteAsync(
        "INSERT INTO accounts (id, email, email_normalised, password, verified, disabled, created_at, state, verification_token, reset_token, " +
        "deletion_token, deletion_after) VALUES ($id, $email, $normalised, $password, $verified, $disabled, $created, $state, " +
        "$verification_token, $reset_token, $deletion_token, $deletion_after)",
        Parameters(account), cancellationToken);

    public async Task<Account?> FindByEmailAsync(string emailNormalised, CancellationToken cancellationToken = default) =>
        (await database.QueryAsync("SELECT * FROM accounts WHERE email_normalised = $email",
            new Dictionary<string, object?> { ["email"] = emailNormalised }, Read, cancellationToken)).SingleOrDefault();

    public async Task<Account?> GetAsync(string id, CancellationToken cancellationToken = default) =>
        (await database.QueryAsync("SELECT * FROM accounts WHERE id = $id",
            new Dictionary<string, object?> { ["id"] = id }, Read, cancellationToken)).SingleOrDefault();

    public async Task<Account?> FindByTokenAsync(AccountTokenKind kind, string token, CancellationToken cancellationToken = default)
    {
        var column = kind switch
        {
            AccountTokenKind.Verification => "verification_token",
            AccountTokenKind.PasswordReset => "reset_token",
            _ => "deletion_token",
        };
        return (await database.QueryAsync($"SELECT * FROM accounts WHERE {column} = $token",
            new Dictionary<string, object?> { ["token"] = token }, Read, cancellationToken)).SingleOrDefault();
    }

    public Task UpdateAsync(Account account, CancellationToken cancellationToken = default) =>
        database.ExecuteAsync($"UPDATE accounts SET {Columns} WHERE id = $id", Parameters(account), cancellationToken);

    public async Task<IReadOnlyList<Account>> DueForDeletionAsync(DateTimeOffset now, CancellationToken cancellationToken = default) =>
        await database.QueryAsync("SELECT * FROM accounts WHERE deletion_after IS NOT NULL AND deletion_after <= $now",
            new Dictionary<string, object?> { ["now"] = SqliteValues.Time(now) }, Read, cancellationToken);

    public async Task<IReadOnlyList<Account>> ListAsync(string? afterId, int limit, CancellationToken cancellationToken = default) =>
        await database.QueryAsync("SELECT * FROM accounts WHERE $after IS NULL OR id > $after ORDER BY id LIMIT $limit",
            new Dictionary<string, object?> { ["after"] = afterId, ["limit"] = limit }, Read, cancellationToken);

    public async Task<bool> SetEmailNormalisedAsync(string id, string email, string emailNormalised, CancellationToken cancellationToken = default) =>
        await database.ExecuteAsync("UPDATE accounts SET email_normalised = $normalised WHERE id = $id AND email = $email",
            new Dictionary<string, object?> { ["id"] = id, ["email"] = email, ["normalised"] = emailNormalised }, cancellationToken) == 1;

    private static Dictionary<string, object?> Parameters(Account account) => new()
    {
        ["id"] = account.Id, ["email"] = account.Email, ["normalised"] = account.EmailNormalised, ["password"] = account.PasswordHash,
        ["verified"] = account.Verified, ["disabled"] = account.Disabled, ["created"] = SqliteValues.Time(account.CreatedAt),
        ["state"] = JsonSerializer.Serialize(new AccountState(account.Verification, account.Mfa, account.PasswordReset, account.Deletion), StoatJson.Options),
        ["verification_token"] = account.Verification.Token,
        ["reset_token"] = account.PasswordReset?.Token,
        ["deletion_token"] = account.Deletion?.Token,
        ["deletion_after"] = account.Deletion is { Status: DeletionStatus.Scheduled, After: { } after } ? SqliteValues.Time(after) : null,
    };

    private static Account Read(SqliteDataReader r)
    {
        // Accounts from before the state column were verified at sign-up and had no second factor.
        var state = SqliteValues.NullableText(r, "state") is { } json
            ? JsonSerializer.Deserialize<AccountState>(json, StoatJson.Options)!
            : new AccountState(EmailVerification.Done, MultiFactor.None, null, null);
        return new Account(
            SqliteValues.Text(r, "id"), SqliteValues.Text(r, "email"), SqliteValues.Text(r, "email_normalised"), SqliteValues.Text(r, "password"),
            SqliteValues.Number(r, "disabled") != 0, SqliteValues.Time(r, "created_at"), state.Verification, state.Mfa, state.PasswordReset, state.Deletion);
    }
}

public sealed class SqliteMfaTicketStore(SqliteDatabase database) : IMfaTicketStore
{
    public Task CreateAsync(MfaTicket ticket, CancellationToken cancellationToken = default) => database.ExecuteAsync(
        "INSERT INTO mfa_tickets (id, account_id, token, document) VALUES ($id, $account, $token, $document)",
        Documents.Parameters(("id", ticket.Id), ("account", ticket.AccountId), ("token", ticket.Token), ("document", Documents.Write(ticket))),
        cancellationToken);

    public async Task<MfaTicket?> FindByTokenAsync(string token, CancellationToken cancellationToken = default) =>
        (await database.QueryAsync("SELECT document FROM mfa_tickets WHERE token = $token", Documents.Parameters(("token", token)),
            Documents.Read<MfaTicket>, cancellationToken)).SingleOrDefault();

    public async Task<bool> DeleteAsync(string id, CancellationToken cancellationToken = default) =>
        await database.ExecuteAsync("DELETE FROM mfa_tickets WHERE id = $id", Documents.Parameters(("id", id)), cancellationToken) == 1;

    public Task DeleteAllAsync(string accountId, CancellationToken cancellationToken = default) =>
        database.ExecuteAsync("DELETE FROM mfa_tickets WHERE account_id = $account", Documents.Parameters(("account", accountId)), cancellationToken);

    public async Task<long> DeleteCreatedBeforeAsync(DateTimeOffset cutoff, CancellationToken cancellationToken = default) =>
        await database.ExecuteAsync("DELETE FROM mfa_tickets WHERE id < $bound", Documents.Parameters(("bound", UlidBound.Before(cutoff))), cancellationToken);
}

public sealed class SqliteSignupInviteStore(SqliteDatabase database) : ISignupInviteStore
{
    public Task CreateAsync(SignupInvite invite, CancellationToken cancellationToken = default) => database.ExecuteAsync(
        "INSERT INTO signup_invites (code, claimed_by) VALUES ($code, $claimed)",
        Documents.Parameters(("code", invite.Code), ("claimed", invite.ClaimedBy)), cancellationToken);

    public async Task<SignupInvite?> GetAsync(string code, CancellationToken cancellationToken = default) =>
        (await database.QueryAsync("SELECT * FROM signup_invites WHERE code = $code", Documents.Parameters(("code", code)), Read, cancellationToken))
        .SingleOrDefault();

    public async Task<bool> ClaimAsync(string code, string accountId, CancellationToken cancellationToken = default) =>
        await database.ExecuteAsync("UPDATE signup_invites SET claimed_by = $account WHERE code = $code AND claimed_by IS NULL",
            Documents.Parameters(("code", code), ("account", accountId)), cancellationToken) == 1;

    public async Task<IReadOnlyList<SignupInvite>> ListAsync(CancellationToken cancellationToken = default) =>
        await database.QueryAsync("SELECT * FROM signup_invites ORDER BY code", Documents.Parameters(), Read, cancellationToken);

    private static SignupInvite Read(SqliteDataReader r) => new(SqliteValues.Text(r, "code"), SqliteValues.NullableText(r, "claimed_by"));
}

public sealed class SqliteExternalIdentityStore(SqliteDatabase database) : IExternalIdentityStore
{
    public async Task<string?> FindAccountAsync(string issuer, string subject, CancellationToken cancellationToken = default) =>
        (await database.QueryAsync("SELECT account_id FROM external_identities WHERE issuer = $issuer AND subject = $subject",
            Documents.Parameters(("issuer", issuer), ("subject", subject)), r => SqliteValues.Text(r, "account_id"), cancellationToken)).SingleOrDefault();

    public async Task<bool> LinkAsync(string issuer, string subject, string accountId, CancellationToken cancellationToken = default) =>
        await database.ExecuteAsync("INSERT INTO external_identities (issuer, subject, account_id) VALUES ($issuer, $subject, $account) ON CONFLICT DO NOTHING",
            Documents.Parameters(("issuer", issuer), ("subject", subject), ("account", accountId)), cancellationToken) == 1;
}

public sealed class SqliteUnreadStore(SqliteDatabase database) : IUnreadStore
{
    public Task AckAsync(string userId, IReadOnlyCollection<string> channelIds, string messageId, CancellationToken cancellationToken = default) =>
        database.ExecuteInTransactionAsync(channelIds.Select(channel => (
            "INSERT INTO channel_unreads (user_id, channel_id, document) VALUES ($user, $channel, $document) " +
            "ON CONFLICT (user_id, channel_id) DO UPDATE SET document = excluded.document",
            (IReadOnlyDictionary<string, object?>)Documents.Parameters(("user", userId), ("channel", channel),
                ("document", Documents.Write(new ChannelUnread(new ChannelUnreadKey(channel, userId), messageId, null)))))), cancellationToken);

    public async Task<IReadOnlyList<ChannelUnread>> ListAsync(string userId, CancellationToken cancellationToken = default) =>
        await database.QueryAsync("SELECT document FROM channel_unreads WHERE user_id = $user ORDER BY channel_id",
            Documents.Parameters(("user", userId)), Documents.Read<ChannelUnread>, cancellationToken);

    public Task AddMentionAsync(IReadOnlyCollection<string> userIds, string channelId, string messageId, CancellationToken cancellationToken = default) =>
        database.ExecuteInTransactionAsync(userIds.Distinct().Select(user => (
            "INSERT INTO channel_unreads (user_id, channel_id, document) VALUES ($user, $channel, $document) " +
            "ON CONFLICT (user_id, channel_id) DO UPDATE SET document = " +
            "json_set(document, '$.mentions', json_insert(coalesce(json_extract(document, '$.mentions'), '[]'), '$[#]', $message))",
            (IReadOnlyDictionary<string, object?>)Documents.Parameters(("user", user), ("channel", channelId), ("message", messageId),
                ("document", Documents.Write(new ChannelUnread(new ChannelUnreadKey(channelId, user), null, [messageId])))))), cancellationToken);
}

public sealed class SqliteSessionStore(SqliteDatabase database) : ISessionStore
{
    public Task CreateAsync(Session session, CancellationToken cancellationToken = default) => database.ExecuteAsync(
        "INSERT INTO sessions (id, user_id, token, name, last_seen, subscription) VALUES ($id, $user, $token, $name, $seen, $subscription)",
        new Dictionary<string, object?>
        {
            ["id"] = session.Id, ["user"] = session.UserId, ["token"] = session.Token, ["name"] = session.Name,
            ["seen"] = SqliteValues.Time(session.LastSeen), ["subscription"] = Subscription(session.Subscription),
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

    public async Task<bool> SetSubscriptionAsync(string userId, string sessionId, WebPushSubscription? subscription,
        CancellationToken cancellationToken = default) =>
        await database.ExecuteAsync("UPDATE sessions SET subscription = $subscription WHERE id = $id AND user_id = $user",
            new Dictionary<string, object?>
            {
                ["subscription"] = Subscription(subscription), ["id"] = sessionId, ["user"] = userId,
            }, cancellationToken) == 1;

    public async Task<bool> DeleteAsync(string userId, string sessionId, CancellationToken cancellationToken = default) =>
        await database.ExecuteAsync("DELETE FROM sessions WHERE id = $id AND user_id = $user",
            new Dictionary<string, object?> { ["id"] = sessionId, ["user"] = userId }, cancellationToken) == 1;

    public Task<int> DeleteAllAsync(string userId, string? keepSessionId, CancellationToken cancellationToken = default) =>
        database.ExecuteAsync("DELETE FROM sessions WHERE user_id = $user AND ($keep IS NULL OR id <> $keep)",
            new Dictionary<string, object?> { ["user"] = userId, ["keep"] = keepSessionId }, cancellationToken);

    private static Session Read(SqliteDataReader r) => new(
        SqliteValues.Text(r, "id"), SqliteValues.Text(r, "user_id"), SqliteValues.Text(r, "token"), SqliteValues.Text(r, "name"),
        SqliteValues.Time(r, "last_seen"),
        SqliteValues.NullableText(r, "subscription") is { } subscription ? JsonSerializer.Deserialize<WebPushSubscription>(subscription, StoatJson.Options) : null);

    private static string? Subscription(WebPushSubscription? subscription) => subscription is null ? null : Documents.Write(subscription);
}

public sealed class SqliteUserStore(SqliteDatabase database) : IUserStore
{
    public Task CreateAsync(User user, CancellationToken cancellationToken = default) => database.ExecuteAsync(
        "INSERT INTO users (id, username, username_lower, discriminator, display_name, badges, flags, privileged, created_at, bot_owner) " +
        "VALUES ($id, $username, $lower, $discriminator, $display, $badges, $flags, $privileged, $created, $bot)",
        new Dictionary<string, object?>
        {
            ["id"] = user.Id, ["username"] = user.Username, ["lower"] = user.Username.ToLowerInvariant(), ["discriminator"] = user.Discriminator,
            ["display"] = user.DisplayName, ["badges"] = user.Badges, ["flags"] = user.Flags, ["privileged"] = user.Privileged,
            ["created"] = SqliteValues.Time(user.CreatedAt), ["bot"] = user.BotOwner,
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
        "badges = $badges, flags = $flags, avatar = $avatar, profile_background = $background WHERE id = $id",
        new Dictionary<string, object?>
        {
            ["id"] = user.Id, ["display"] = user.DisplayName, ["text"] = user.StatusText, ["presence"] = user.StatusPresence,
            ["content"] = user.ProfileContent, ["badges"] = user.Badges, ["flags"] = user.Flags,
            ["avatar"] = FileColumn(user.Avatar), ["background"] = FileColumn(user.ProfileBackground),
        }, cancellationToken);

    /// <summary>A file the user uses, kept as Stoat's <c>File</c> JSON.</summary>
    private static string? FileColumn(AutumnFile? file) => file is null ? null : Documents.Write(file);

    private static AutumnFile? ReadFile(SqliteDataReader r, string column) =>
        SqliteValues.NullableText(r, column) is { } json ? JsonSerializer.Deserialize<AutumnFile>(json, StoatJson.Options) : null;

    /// <summary>The column of each profile field, by its path in Stoat's user document.</summary>
    private static readonly Dictionary<string, string> ProfileColumns = new()
    {
        ["display_name"] = "display_name", ["status.text"] = "status_text", ["status.presence"] = "status_presence",
        ["profile.content"] = "profile_content", ["badges"] = "badges", ["flags"] = "flags", ["avatar"] = "avatar",
        ["profile.background"] = "profile_background",
    };

    public async Task<bool> UpdateProfileAsync(string id, FieldUpdate update, CancellationToken cancellationToken = default)
    {
        var parameters = new Dictionary<string, object?> { ["id"] = id };
        var column = (string path) => ProfileColumns.TryGetValue(path, out var name) ? name : throw new ArgumentException($"'{path}' is not a profile field", nameof(update));
        var sets = update.RequireChanges().Changes.Select((change, i) =>
        {
            parameters[$"value{i}"] = Scalar(change.Value);
            return $"{column(change.Key)} = $value{i}";
        });
        var conditions = update.Expectations.Select((expectation, i) =>
        {
            parameters[$"expected{i}"] = Scalar(expectation.Json);
            return expectation.Present ? $" AND {column(expectation.Path)} IS NOT NULL" : $" AND {column(expectation.Path)} IS $expected{i}";
        });
        return await database.ExecuteAsync($"UPDATE users SET {string.Join(", ", sets)} WHERE id = $id{string.Concat(conditions)}", parameters, cancellationToken) == 1;
    }

    /// <summary>A JSON text or number as the column holds it; a file stays JSON.</summary>
    private static object? Scalar(string? json) => json is null ? null : JsonDocument.Parse(json).RootElement switch
    {
        { ValueKind: JsonValueKind.String } text => text.GetString(),
        { ValueKind: JsonValueKind.Number } number => number.GetInt64(),
        { ValueKind: JsonValueKind.Object } => json,
        var other => throw new ArgumentException($"{other.ValueKind} is not a profile value"),
    };

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
        SqliteValues.NullableText(r, "profile_content"), SqliteValues.NullableText(r, "bot_owner"), ReadFile(r, "avatar"), ReadFile(r, "profile_background"));
}
