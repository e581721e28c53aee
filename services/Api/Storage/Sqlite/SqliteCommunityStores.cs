using System.Text.Json;

namespace Spokes.Api.Storage.Sqlite;

/// <summary>
/// Community aggregates as JSON documents (the shape MongoDB stores), with the columns each query path
/// needs pulled out beside them and indexed.
/// </summary>
internal static class Documents
{
    public static string Write<T>(T value) => JsonSerializer.Serialize(value, StoatJson.Options);

    /// <summary>
    /// The row's document, parsed from the UTF-8 SQLite holds: read as a string, it would be decoded to UTF-16 and
    /// encoded back to UTF-8 for the parser, two passes over every document read.
    /// </summary>
    public static T Read<T>(Microsoft.Data.Sqlite.SqliteDataReader reader) =>
        JsonSerializer.Deserialize<T>(reader.GetFieldValue<byte[]>(reader.GetOrdinal("document")), StoatJson.Options)!;

    public static Dictionary<string, object?> Parameters(params (string Name, object? Value)[] values) =>
        values.ToDictionary(v => v.Name, v => v.Value);
}

public sealed class SqliteServerStore(SqliteDatabase database) : IServerStore
{
    public Task CreateAsync(Server server, CancellationToken cancellationToken = default) => database.ExecuteAsync(
        "INSERT INTO servers (id, document) VALUES ($id, $document)",
        Documents.Parameters(("id", server.Id), ("document", Documents.Write(server))), cancellationToken);

    public async Task<long> CountAsync(CancellationToken cancellationToken = default) =>
        (await database.QueryAsync("SELECT COUNT(*) FROM servers", Documents.Parameters(), r => r.GetInt64(0), cancellationToken)).Single();

    public async Task<Server?> GetAsync(string id, CancellationToken cancellationToken = default) =>
        (await database.QueryAsync("SELECT document FROM servers WHERE id = $id", Documents.Parameters(("id", id)),
            Documents.Read<Server>, cancellationToken)).SingleOrDefault();

    public async Task<bool> UpdateAsync(string id, FieldUpdate update, CancellationToken cancellationToken = default)
    {
        var parameters = Documents.Parameters(("id", id));
        var (document, conditions) = SqliteFieldUpdates.Translate(update, parameters);
        return await database.ExecuteAsync($"UPDATE servers SET document = {document} WHERE id = $id{conditions}", parameters, cancellationToken) == 1;
    }

    public Task AddChannelAsync(string id, string channelId, CancellationToken cancellationToken = default) => database.ExecuteAsync(
        "UPDATE servers SET document = json_insert(document, '$.channels[#]', $channel) WHERE id = $id",
        Documents.Parameters(("id", id), ("channel", channelId)), cancellationToken);

    public Task RemoveChannelAsync(string id, string channelId, CancellationToken cancellationToken = default)
    {
        var parameters = Documents.Parameters(("id", id), ("channel", channelId));
        return database.ExecuteInTransactionAsync(
        [
            ("UPDATE servers SET document = json_set(document, '$.channels', " +
             "json((SELECT json_group_array(value) FROM json_each(document, '$.channels') WHERE value <> $channel))) WHERE id = $id", parameters),
            ("UPDATE servers SET document = json_set(document, '$.categories', json((SELECT json_group_array(json_set(category.value, '$.channels', " +
             "json((SELECT json_group_array(listed.value) FROM json_each(category.value, '$.channels') listed WHERE listed.value <> $channel)))) " +
             "FROM json_each(document, '$.categories') category))) WHERE id = $id AND json_type(document, '$.categories') = 'array'", parameters),
        ], cancellationToken);
    }

    public Task DeleteAsync(string id, CancellationToken cancellationToken = default)
    {
        var server = Documents.Parameters(("server", id));
        return database.ExecuteInTransactionAsync(
        [
            ("DELETE FROM invites WHERE server_id = $server", server),
            ("DELETE FROM channels WHERE server_id = $server", server),
            ("DELETE FROM members WHERE server_id = $server", server),
            ("DELETE FROM bans WHERE server_id = $server", server),
            ("DELETE FROM servers WHERE id = $server", server),
        ], cancellationToken);
    }
}

public sealed class SqliteChannelStore(SqliteDatabase database) : IChannelStore
{
    public Task CreateAsync(Channel channel, CancellationToken cancellationToken = default) =>
        database.ExecuteInTransactionAsync(
        [
            ("INSERT INTO channels (id, channel_type, server_id, direct_key, document) VALUES ($id, $type, $server, $direct, $document)", Row(channel)),
            .. UserRows(channel),
        ], cancellationToken);

    public async Task<Channel?> GetAsync(string id, CancellationToken cancellationToken = default) =>
        (await database.QueryAsync("SELECT document FROM channels WHERE id = $id", Documents.Parameters(("id", id)),
            Documents.Read<Channel>, cancellationToken)).SingleOrDefault();

    public async Task<IReadOnlyList<Channel>> ListByServerAsync(string serverId, CancellationToken cancellationToken = default) =>
        await database.QueryAsync("SELECT document FROM channels WHERE server_id = $server ORDER BY id", Documents.Parameters(("server", serverId)),
            Documents.Read<Channel>, cancellationToken);

    public async Task<IReadOnlyList<Channel>> ListPrivateAsync(string userId, CancellationToken cancellationToken = default) =>
        await database.QueryAsync(
            "SELECT c.document FROM channel_users u JOIN channels c ON c.id = u.channel_id WHERE u.user_id = $user ORDER BY c.id",
            Documents.Parameters(("user", userId)), Documents.Read<Channel>, cancellationToken);

    public async Task<Channel?> FindDirectAsync(string userId, string otherId, CancellationToken cancellationToken = default) =>
        (await database.QueryAsync("SELECT document FROM channels WHERE direct_key = $key", Documents.Parameters(("key", DirectKey(userId, otherId))),
            Documents.Read<Channel>, cancellationToken)).SingleOrDefault();

    public async Task<bool> UpdateAsync(string id, FieldUpdate update, CancellationToken cancellationToken = default)
    {
        var parameters = Documents.Parameters(("id", id));
        var (document, conditions) = SqliteFieldUpdates.Translate(update, parameters);
        return await database.ExecuteAsync($"UPDATE channels SET document = {document} WHERE id = $id{conditions}", parameters, cancellationToken) == 1;
    }

    public Task<bool> AddRecipientAsync(string groupId, string userId, int maxRecipients, CancellationToken cancellationToken = default) =>
        database.WriteTransactionAsync(async (connection, transaction) =>
        {
            var parameters = Documents.Parameters(("id", groupId), ("user", userId), ("max", maxRecipients));
            var added = await SqliteDatabase.RunAsync(connection, transaction,
                "UPDATE channels SET document = json_insert(document, '$.recipients[#]', $user) WHERE id = $id AND channel_type = 'Group' " +
                "AND json_array_length(document, '$.recipients') < $max AND NOT EXISTS (SELECT 1 FROM json_each(document, '$.recipients') WHERE value = $user)",
                parameters, cancellationToken) == 1;
            if (added) await SqliteDatabase.RunAsync(connection, transaction, "INSERT INTO channel_users (user_id, channel_id) VALUES ($user, $id)", parameters, cancellationToken);
            return added;
        }, cancellationToken);

    public Task<Group?> RemoveRecipientAsync(string groupId, string userId, CancellationToken cancellationToken = default) =>
        database.WriteTransactionAsync(async (connection, transaction) =>
        {
            var parameters = Documents.Parameters(("id", groupId), ("user", userId));
            const string remaining = "FROM json_each(document, '$.recipients') WHERE value <> $user";
            var removed = await SqliteDatabase.RunAsync(connection, transaction,
                "UPDATE channels SET document = json_set(document, " +
                $"'$.recipients', json((SELECT json_group_array(value) {remaining})), " +
                $"'$.owner', CASE WHEN json_extract(document, '$.owner') = $user THEN coalesce((SELECT value {remaining} ORDER BY key LIMIT 1), $user) " +
                "ELSE json_extract(document, '$.owner') END) " +
                "WHERE id = $id AND channel_type = 'Group' AND EXISTS (SELECT 1 FROM json_each(document, '$.recipients') WHERE value = $user)",
                parameters, cancellationToken) == 1;
            if (!removed) return null;
            await SqliteDatabase.RunAsync(connection, transaction, "DELETE FROM channel_users WHERE channel_id = $id AND user_id = $user", parameters, cancellationToken);
            return await SqliteDatabase.ReadFirstAsync(connection, transaction, "SELECT document FROM channels WHERE id = $id", parameters,
                r => (Group)Documents.Read<Channel>(r), cancellationToken);
        }, cancellationToken);

    public Task DeleteAsync(string id, CancellationToken cancellationToken = default)
    {
        var channel = Documents.Parameters(("id", id));
        return database.ExecuteInTransactionAsync(
        [
            ("DELETE FROM invites WHERE channel_id = $id", channel),
            ("DELETE FROM channel_users WHERE channel_id = $id", channel),
            ("DELETE FROM channels WHERE id = $id", channel),
        ], cancellationToken);
    }

    private static Dictionary<string, object?> Row(Channel channel) => Documents.Parameters(
        ("id", channel.Id),
        ("type", channel.GetType().Name),
        ("server", (channel as TextChannel)?.Server),
        ("direct", channel switch
        {
            SavedMessages saved => DirectKey(saved.User, saved.User),
            DirectMessage { Recipients: [var first, var second] } => DirectKey(first, second),
            _ => null,
        }),
        ("document", Documents.Write(channel)));

    /// <summary>What makes a DM (or saved messages, when both are one user) unique: the pair of users, in order.</summary>
    private static string DirectKey(string userId, string otherId) =>
        userId == otherId ? userId : string.CompareOrdinal(userId, otherId) < 0 ? $"{userId}:{otherId}" : $"{otherId}:{userId}";

    private static IEnumerable<(string, IReadOnlyDictionary<string, object?>)> UserRows(Channel channel) =>
        channel.PrivateUsers().Distinct().Select(user => ("INSERT INTO channel_users (user_id, channel_id) VALUES ($user, $id)",
            (IReadOnlyDictionary<string, object?>)Documents.Parameters(("user", user), ("id", channel.Id))));
}

/// <summary>A member set aside (see <see cref="IMemberStore"/>) keeps their row, with <c>pending_deletion_at</c> (Stoat's name) set to when their timeout ends.</summary>
public sealed class SqliteMemberStore(SqliteDatabase database) : IMemberStore
{
    private const string Active = "pending_deletion_at IS NULL";

    public Task<Member> CreateAsync(Member member, CancellationToken cancellationToken = default) =>
        database.WriteTransactionAsync(async (connection, transaction) =>
        {
            var key = Documents.Parameters(("server", member.Id.Server), ("user", member.Id.User));
            var setAside = await SqliteDatabase.ReadFirstAsync(connection, transaction,
                "SELECT document FROM members WHERE server_id = $server AND user_id = $user AND pending_deletion_at IS NOT NULL", key,
                Documents.Read<Member>, cancellationToken);
            var joined = member.Rejoining(setAside);
            await SqliteDatabase.RunAsync(connection, transaction, setAside is null
                ? "INSERT INTO members (server_id, user_id, document) VALUES ($server, $user, $document)"
                : "UPDATE members SET document = $document, pending_deletion_at = NULL WHERE server_id = $server AND user_id = $user",
                Row(joined), cancellationToken);
            return joined;
        }, cancellationToken);

    public async Task<Member?> GetAsync(string serverId, string userId, CancellationToken cancellationToken = default) =>
        (await database.QueryAsync($"SELECT document FROM members WHERE server_id = $server AND user_id = $user AND {Active}",
            Documents.Parameters(("server", serverId), ("user", userId)), Documents.Read<Member>, cancellationToken)).SingleOrDefault();

    public async Task<IReadOnlyList<Member>> GetManyAsync(string serverId, IReadOnlyCollection<string> userIds, CancellationToken cancellationToken = default) =>
        userIds.Count == 0 ? [] : await database.QueryAsync(
            $"SELECT document FROM members WHERE server_id = $server AND user_id IN (SELECT value FROM json_each($users)) AND {Active}",
            Documents.Parameters(("server", serverId), ("users", JsonSerializer.Serialize(userIds))), Documents.Read<Member>, cancellationToken);

    public async Task<IReadOnlyList<Member>> ListAsync(string serverId, CancellationToken cancellationToken = default) =>
        await database.QueryAsync($"SELECT document FROM members WHERE server_id = $server AND {Active} ORDER BY user_id",
            Documents.Parameters(("server", serverId)), Documents.Read<Member>, cancellationToken);

    public async Task<int> CountAsync(string serverId, CancellationToken cancellationToken = default) =>
        (await database.QueryAsync($"SELECT COUNT(*) FROM members WHERE server_id = $server AND {Active}",
            Documents.Parameters(("server", serverId)), r => r.GetInt32(0), cancellationToken)).Single();

    public async Task<IReadOnlyList<string>> ServersOfAsync(string userId, CancellationToken cancellationToken = default) =>
        await database.QueryAsync($"SELECT server_id FROM members WHERE user_id = $user AND {Active} ORDER BY server_id",
            Documents.Parameters(("user", userId)), r => r.GetString(0), cancellationToken);

    public async Task<bool> UpdateAsync(string serverId, string userId, FieldUpdate update, CancellationToken cancellationToken = default)
    {
        var parameters = Documents.Parameters(("server", serverId), ("user", userId));
        var (document, conditions) = SqliteFieldUpdates.Translate(update, parameters);
        return await database.ExecuteAsync(
            $"UPDATE members SET document = {document} WHERE server_id = $server AND user_id = $user AND {Active}{conditions}", parameters, cancellationToken) == 1;
    }

    public Task<bool> RemoveAsync(string serverId, string userId, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        database.WriteTransactionAsync(async (connection, transaction) =>
        {
            var key = Documents.Parameters(("server", serverId), ("user", userId));
            var member = await SqliteDatabase.ReadFirstAsync(connection, transaction,
                $"SELECT document FROM members WHERE server_id = $server AND user_id = $user AND {Active}", key, Documents.Read<Member>, cancellationToken);
            if (member is null) return false;
            if (!member.InTimeout(now))
                return await SqliteDatabase.RunAsync(connection, transaction, "DELETE FROM members WHERE server_id = $server AND user_id = $user", key, cancellationToken) == 1;
            key["until"] = SqliteValues.Time(member.Timeout!.Value);
            await SqliteDatabase.RunAsync(connection, transaction,
                "UPDATE members SET pending_deletion_at = $until, document = json_remove(document, '$.nickname', '$.avatar', '$.roles') " +
                "WHERE server_id = $server AND user_id = $user", key, cancellationToken);
            return true;
        }, cancellationToken);

    public Task RemoveRoleAsync(string serverId, string roleId, CancellationToken cancellationToken = default) => database.ExecuteAsync(
        // An emptied list is left out, as every other member without roles has it.
        "UPDATE members SET document = CASE WHEN NOT EXISTS (SELECT 1 FROM json_each(document, '$.roles') WHERE value <> $role) THEN json_remove(document, '$.roles') " +
        "ELSE json_set(document, '$.roles', json((SELECT json_group_array(value) FROM json_each(document, '$.roles') WHERE value <> $role))) END " +
        "WHERE server_id = $server AND EXISTS (SELECT 1 FROM json_each(document, '$.roles') WHERE value = $role)",
        Documents.Parameters(("server", serverId), ("role", roleId)), cancellationToken);

    private static Dictionary<string, object?> Row(Member member) =>
        Documents.Parameters(("server", member.Id.Server), ("user", member.Id.User), ("document", Documents.Write(member)));
}

public sealed class SqliteBanStore(SqliteDatabase database) : IBanStore
{
    public Task SaveAsync(ServerBan ban, CancellationToken cancellationToken = default) => database.ExecuteAsync(
        "INSERT INTO bans (server_id, user_id, document) VALUES ($server, $user, $document) " +
        "ON CONFLICT (server_id, user_id) DO UPDATE SET document = excluded.document",
        Documents.Parameters(("server", ban.Id.Server), ("user", ban.Id.User), ("document", Documents.Write(ban))), cancellationToken);

    public async Task<ServerBan?> GetAsync(string serverId, string userId, CancellationToken cancellationToken = default) =>
        (await database.QueryAsync("SELECT document FROM bans WHERE server_id = $server AND user_id = $user",
            Documents.Parameters(("server", serverId), ("user", userId)), Documents.Read<ServerBan>, cancellationToken)).SingleOrDefault();

    public async Task<IReadOnlyList<ServerBan>> ListAsync(string serverId, CancellationToken cancellationToken = default) =>
        await database.QueryAsync("SELECT document FROM bans WHERE server_id = $server ORDER BY user_id",
            Documents.Parameters(("server", serverId)), Documents.Read<ServerBan>, cancellationToken);

    public async Task<bool> DeleteAsync(string serverId, string userId, CancellationToken cancellationToken = default) =>
        await database.ExecuteAsync("DELETE FROM bans WHERE server_id = $server AND user_id = $user",
            Documents.Parameters(("server", serverId), ("user", userId)), cancellationToken) == 1;
}

public sealed class SqliteInviteStore(SqliteDatabase database) : IInviteStore
{
    public Task CreateAsync(Invite invite, CancellationToken cancellationToken = default) => database.ExecuteAsync(
        "INSERT INTO invites (code, server_id, channel_id, document) VALUES ($code, $server, $channel, $document)",
        Documents.Parameters(("code", invite.Code), ("server", (invite as ServerInvite)?.Server), ("channel", invite.Channel),
            ("document", Documents.Write(invite))), cancellationToken);

    public async Task<Invite?> GetAsync(string code, CancellationToken cancellationToken = default) =>
        (await database.QueryAsync("SELECT document FROM invites WHERE code = $code", Documents.Parameters(("code", code)),
            Documents.Read<Invite>, cancellationToken)).SingleOrDefault();

    public async Task<IReadOnlyList<Invite>> ListByServerAsync(string serverId, CancellationToken cancellationToken = default) =>
        await database.QueryAsync("SELECT document FROM invites WHERE server_id = $server ORDER BY code",
            Documents.Parameters(("server", serverId)), Documents.Read<Invite>, cancellationToken);

    public async Task<bool> DeleteAsync(string code, CancellationToken cancellationToken = default) =>
        await database.ExecuteAsync("DELETE FROM invites WHERE code = $code", Documents.Parameters(("code", code)), cancellationToken) == 1;
}
