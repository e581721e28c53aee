using System.Text.Json;

namespace Spokes.Api.Storage.Sqlite;

/// <summary>
/// Community aggregates as JSON documents (the shape MongoDB stores), with the columns each query path
/// needs pulled out beside them and indexed.
/// </summary>
internal static class Documents
{
    public static string Write<T>(T value) => JsonSerializer.Serialize(value, StoatJson.Options);

    public static T Read<T>(Microsoft.Data.Sqlite.SqliteDataReader reader) =>
        JsonSerializer.Deserialize<T>(reader.GetString(reader.GetOrdinal("document")), StoatJson.Options)!;

    public static Dictionary<string, object?> Parameters(params (string Name, object? Value)[] values) =>
        values.ToDictionary(v => v.Name, v => v.Value);
}

public sealed class SqliteServerStore(SqliteDatabase database) : IServerStore
{
    public Task CreateAsync(Server server, CancellationToken cancellationToken = default) => database.ExecuteAsync(
        "INSERT INTO servers (id, document) VALUES ($id, $document)",
        Documents.Parameters(("id", server.Id), ("document", Documents.Write(server))), cancellationToken);

    public async Task<Server?> GetAsync(string id, CancellationToken cancellationToken = default) =>
        (await database.QueryAsync("SELECT document FROM servers WHERE id = $id", Documents.Parameters(("id", id)),
            Documents.Read<Server>, cancellationToken)).SingleOrDefault();

    public Task UpdateAsync(Server server, CancellationToken cancellationToken = default) => database.ExecuteAsync(
        "UPDATE servers SET document = $document WHERE id = $id",
        Documents.Parameters(("id", server.Id), ("document", Documents.Write(server))), cancellationToken);

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
            ("INSERT INTO channels (id, channel_type, server_id, document) VALUES ($id, $type, $server, $document)", Row(channel)),
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
        (await database.QueryAsync(
            "SELECT c.document FROM channel_users a JOIN channel_users b ON b.channel_id = a.channel_id JOIN channels c ON c.id = a.channel_id " +
            "WHERE a.user_id = $user AND b.user_id = $other AND c.channel_type = $type",
            Documents.Parameters(("user", userId), ("other", otherId), ("type", userId == otherId ? "SavedMessages" : "DirectMessage")),
            Documents.Read<Channel>, cancellationToken)).FirstOrDefault();

    public Task UpdateAsync(Channel channel, CancellationToken cancellationToken = default) =>
        database.ExecuteInTransactionAsync(
        [
            ("UPDATE channels SET document = $document WHERE id = $id", Row(channel)),
            ("DELETE FROM channel_users WHERE channel_id = $id", Documents.Parameters(("id", channel.Id))),
            .. UserRows(channel),
        ], cancellationToken);

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
        ("document", Documents.Write(channel)));

    private static IEnumerable<(string, IReadOnlyDictionary<string, object?>)> UserRows(Channel channel) =>
        channel.PrivateUsers().Distinct().Select(user => ("INSERT INTO channel_users (user_id, channel_id) VALUES ($user, $id)",
            (IReadOnlyDictionary<string, object?>)Documents.Parameters(("user", user), ("id", channel.Id))));
}

public sealed class SqliteMemberStore(SqliteDatabase database) : IMemberStore
{
    public Task CreateAsync(Member member, CancellationToken cancellationToken = default) => database.ExecuteAsync(
        "INSERT INTO members (server_id, user_id, document) VALUES ($server, $user, $document)", Row(member), cancellationToken);

    public async Task<Member?> GetAsync(string serverId, string userId, CancellationToken cancellationToken = default) =>
        (await database.QueryAsync("SELECT document FROM members WHERE server_id = $server AND user_id = $user",
            Documents.Parameters(("server", serverId), ("user", userId)), Documents.Read<Member>, cancellationToken)).SingleOrDefault();

    public async Task<IReadOnlyList<Member>> GetManyAsync(string serverId, IReadOnlyCollection<string> userIds, CancellationToken cancellationToken = default) =>
        userIds.Count == 0 ? [] : await database.QueryAsync(
            "SELECT document FROM members WHERE server_id = $server AND user_id IN (SELECT value FROM json_each($users))",
            Documents.Parameters(("server", serverId), ("users", JsonSerializer.Serialize(userIds))), Documents.Read<Member>, cancellationToken);

    public async Task<IReadOnlyList<Member>> ListAsync(string serverId, CancellationToken cancellationToken = default) =>
        await database.QueryAsync("SELECT document FROM members WHERE server_id = $server ORDER BY user_id",
            Documents.Parameters(("server", serverId)), Documents.Read<Member>, cancellationToken);

    public async Task<int> CountAsync(string serverId, CancellationToken cancellationToken = default) =>
        (await database.QueryAsync("SELECT COUNT(*) FROM members WHERE server_id = $server",
            Documents.Parameters(("server", serverId)), r => r.GetInt32(0), cancellationToken)).Single();

    public async Task<IReadOnlyList<string>> ServersOfAsync(string userId, CancellationToken cancellationToken = default) =>
        await database.QueryAsync("SELECT server_id FROM members WHERE user_id = $user ORDER BY server_id",
            Documents.Parameters(("user", userId)), r => r.GetString(0), cancellationToken);

    public Task UpdateAsync(Member member, CancellationToken cancellationToken = default) => database.ExecuteAsync(
        "UPDATE members SET document = $document WHERE server_id = $server AND user_id = $user", Row(member), cancellationToken);

    public async Task<bool> DeleteAsync(string serverId, string userId, CancellationToken cancellationToken = default) =>
        await database.ExecuteAsync("DELETE FROM members WHERE server_id = $server AND user_id = $user",
            Documents.Parameters(("server", serverId), ("user", userId)), cancellationToken) == 1;

    public async Task RemoveRoleAsync(string serverId, string roleId, CancellationToken cancellationToken = default)
    {
        var holders = (await ListAsync(serverId, cancellationToken)).Where(m => m.Roles?.Contains(roleId) == true).ToList();
        await database.ExecuteInTransactionAsync(holders.Select(member =>
        {
            var roles = member.Roles!.Where(r => r != roleId).ToList();
            return ("UPDATE members SET document = $document WHERE server_id = $server AND user_id = $user",
                (IReadOnlyDictionary<string, object?>)Row(member with { Roles = roles.Count == 0 ? null : roles }));
        }), cancellationToken);
    }

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
