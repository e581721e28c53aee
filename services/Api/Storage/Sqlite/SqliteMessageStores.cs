using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;

namespace Spokes.Api.Storage.Sqlite;

/// <summary>
/// Messages as documents with their channel, id and pin state pulled out and indexed; the blind index of their
/// text (<see cref="Message.Search"/>) is also kept in an FTS5 index (<c>message_search</c>, rowid = the message's
/// <c>seq</c>) for search, just behind the inserts (<see cref="SqliteSearchIndex"/>).
/// </summary>
public sealed partial class SqliteMessageStore(SqliteDatabase database, SqliteSearchIndex search) : IMessageStore
{
    public async Task InsertAsync(Message message, IReadOnlyList<OutboxEntry> outbox, CancellationToken cancellationToken = default)
    {
        await database.WriteTransactionAsync(async (connection, transaction) =>
        {
            await SqliteDatabase.RunAsync(connection, transaction, "INSERT INTO messages (id, channel_id, pinned, document) VALUES ($id, $channel, $pinned, $document)",
                Row(message), cancellationToken);
            await SqliteDatabase.RunAsync(connection, transaction,
                "UPDATE channels SET document = json_set(document, '$.last_message_id', $id) WHERE id = $channel AND channel_type <> 'SavedMessages'",
                Documents.Parameters(("id", message.Id), ("channel", message.Channel)), cancellationToken);
            await QueueAsync(connection, transaction, outbox, cancellationToken);
            return true;
        }, cancellationToken);
        if (message.Search is { Length: > 0 }) search.Stored();
    }

    public async Task<Message?> GetAsync(string channelId, string id, CancellationToken cancellationToken = default) =>
        (await database.QueryAsync("SELECT document FROM messages WHERE channel_id = $channel AND id = $id",
            Documents.Parameters(("channel", channelId), ("id", id)), Documents.Read<Message>, cancellationToken)).SingleOrDefault();

    public async Task<Message?> FindAsync(string id, CancellationToken cancellationToken = default) =>
        (await database.QueryAsync("SELECT document FROM messages WHERE id = $id", Documents.Parameters(("id", id)), Documents.Read<Message>,
            cancellationToken)).SingleOrDefault();

    public async Task<IReadOnlyList<Message>> GetManyAsync(string channelId, IReadOnlyCollection<string> ids, CancellationToken cancellationToken = default)
    {
        if (ids.Count == 0) return [];
        var parameters = Documents.Parameters(("channel", channelId));
        var names = ids.Distinct().Select((id, i) => { parameters["id" + i] = id; return "$id" + i; });
        return await database.QueryAsync($"SELECT document FROM messages WHERE channel_id = $channel AND id IN ({string.Join(", ", names)})",
            parameters, Documents.Read<Message>, cancellationToken);
    }

    public async Task<IReadOnlyList<Message>> QueryAsync(MessageQuery query, CancellationToken cancellationToken = default)
    {
        var parameters = Documents.Parameters(("channel", query.Channel), ("before", query.Before), ("after", query.After), ("limit", query.Limit));
        var where = new StringBuilder("m.channel_id = $channel");
        if (query.Before is not null) where.Append(" AND m.id < $before");
        if (query.After is not null) where.Append(" AND m.id > $after");
        // Written as a literal so the partial index on pinned messages applies.
        if (query.Pinned is { } pinned) where.Append(pinned ? " AND m.pinned = 1" : " AND m.pinned = 0");
        var order = query.Sort == MessageSort.Oldest ? "m.id ASC" : "m.id DESC";
        string sql;
        if (query.Text is { } text)
        {
            await search.CatchUpAsync(cancellationToken);
            parameters["text"] = FullTextQuery(text);
            if (query.Sort == MessageSort.Relevance) order = "s.rank, m.id DESC";
            sql = $"SELECT m.document FROM message_search s JOIN messages m ON m.seq = s.rowid WHERE message_search MATCH $text AND {where} ORDER BY {order} LIMIT $limit";
        }
        else
        {
            sql = $"SELECT m.document FROM messages m WHERE {where} ORDER BY {order} LIMIT $limit";
        }
        return await database.QueryAsync(sql, parameters, Documents.Read<Message>, cancellationToken);
    }

    /// <summary>
    /// A search box's words as an FTS5 query with MongoDB <c>$text</c>'s meaning: any of the words, or a
    /// "quoted phrase" as a whole; every term is quoted so no input is read as FTS5 syntax.
    /// </summary>
    public static string FullTextQuery(string text)
    {
        var terms = SearchTerm().Matches(text)
            .Select(m => m.Groups["phrase"].Success ? m.Groups["phrase"].Value : m.Groups["word"].Value)
            .Where(t => t.Any(char.IsLetterOrDigit))
            .Select(t => "\"" + t.Replace("\"", "\"\"") + "\"");
        var query = string.Join(" OR ", terms);
        // Nothing searchable matches nothing, as in MongoDB.
        return query.Length == 0 ? "\"\"" : query;
    }

    [GeneratedRegex("\"(?<phrase>[^\"]+)\"|(?<word>[^\\s\"]+)", RegexLimits.UserInput, RegexLimits.MatchTimeoutMilliseconds)]
    private static partial Regex SearchTerm();

    public Task<bool> UpdateAsync(string channelId, string id, FieldUpdate update, CancellationToken cancellationToken = default) =>
        UpdateAsync(channelId, id, update, [], cancellationToken);

    /// <summary>The pinned column, the search index and the outbox follow the document in the same transaction.</summary>
    public Task<bool> UpdateAsync(string channelId, string id, FieldUpdate update, IReadOnlyList<OutboxEntry> outbox, CancellationToken cancellationToken = default) =>
        database.WriteTransactionAsync(async (connection, transaction) =>
        {
            var parameters = Documents.Parameters(("channel", channelId), ("id", id));
            var (document, conditions) = SqliteFieldUpdates.Translate(update, parameters);
            if (await SqliteDatabase.RunAsync(connection, transaction,
                    $"UPDATE messages SET document = {document} WHERE channel_id = $channel AND id = $id{conditions}", parameters, cancellationToken) == 0)
                return false;
            await SqliteDatabase.RunAsync(connection, transaction,
                "UPDATE messages SET pinned = coalesce(json_extract(document, '$.pinned'), 0) WHERE channel_id = $channel AND id = $id", parameters, cancellationToken);
            if (update.Changes.ContainsKey("search") && await ReadAsync(connection, transaction, channelId, id, cancellationToken) is { } stored)
                await IndexAsync(connection, transaction, stored.Message, stored.Seq, cancellationToken);
            await QueueAsync(connection, transaction, outbox, cancellationToken);
            return true;
        }, cancellationToken);

    public Task<Message?> ChangeReactionsAsync(string channelId, string id, ReactionChange change, CancellationToken cancellationToken = default) =>
        database.WriteTransactionAsync(async (connection, transaction) =>
        {
            if (await ReadAsync(connection, transaction, channelId, id, cancellationToken) is not { } stored) return null;
            var changed = stored.Message with { Reactions = change.ApplyTo(stored.Message.Reactions) };
            await SqliteDatabase.RunAsync(connection, transaction, "UPDATE messages SET document = $document WHERE id = $id", Row(changed), cancellationToken);
            return changed;
        }, cancellationToken);

    public Task<int> DeleteAsync(string channelId, IReadOnlyCollection<string> ids, CancellationToken cancellationToken = default) =>
        database.WriteTransactionAsync(async (connection, transaction) =>
        {
            var deleted = 0;
            foreach (var id in ids.Distinct())
            {
                var parameters = Documents.Parameters(("channel", channelId), ("id", id));
                await SqliteDatabase.RunAsync(connection, transaction,
                    "DELETE FROM message_search WHERE rowid = (SELECT seq FROM messages WHERE channel_id = $channel AND id = $id)", parameters, cancellationToken);
                deleted += await SqliteDatabase.RunAsync(connection, transaction, "DELETE FROM messages WHERE channel_id = $channel AND id = $id", parameters, cancellationToken);
            }
            await SqliteDatabase.RunAsync(connection, transaction, SqliteSearchIndex.StepBackAfterDelete, Documents.Parameters(), cancellationToken);
            return deleted;
        }, cancellationToken);

    private static async Task<(Message Message, long Seq)?> ReadAsync(SqliteConnection connection, SqliteTransaction transaction, string channelId, string id,
        CancellationToken cancellationToken)
    {
        var command = SqliteDatabase.Command(connection, "SELECT seq, document FROM messages WHERE channel_id = $channel AND id = $id",
            Documents.Parameters(("channel", channelId), ("id", id)));
        command.Transaction = transaction;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? (Documents.Read<Message>(reader), reader.GetInt64(0)) : null;
    }

    /// <summary>Indexes the message's blind index for search in place of the one before.</summary>
    private static async Task IndexAsync(SqliteConnection connection, SqliteTransaction transaction, Message message, long seq, CancellationToken cancellationToken)
    {
        await SqliteDatabase.RunAsync(connection, transaction, "DELETE FROM message_search WHERE rowid = $seq", Documents.Parameters(("seq", seq)), cancellationToken);
        if (message.Search is { Length: > 0 } search)
            await SqliteDatabase.RunAsync(connection, transaction, "INSERT INTO message_search (rowid, content) VALUES ($seq, $content)",
                Documents.Parameters(("seq", seq), ("content", search)), cancellationToken);
    }

    private static async Task QueueAsync(SqliteConnection connection, SqliteTransaction transaction, IReadOnlyList<OutboxEntry> outbox, CancellationToken cancellationToken)
    {
        foreach (var entry in outbox)
            await SqliteDatabase.RunAsync(connection, transaction, "INSERT INTO outbox (id, message_type, body, created_at) VALUES ($id, $type, $body, $created)",
                Documents.Parameters(("id", entry.Id.ToString()), ("type", entry.MessageType), ("body", entry.Body),
                    ("created", SqliteValues.Time(entry.CreatedAt))), cancellationToken);
    }

    private static Dictionary<string, object?> Row(Message message) => Documents.Parameters(
        ("id", message.Id), ("channel", message.Channel), ("pinned", message.Pinned), ("document", Documents.Write(message)));
}

public sealed class SqliteOutboxStore(SqliteDatabase database) : IOutboxStore
{
    public async Task<IReadOnlyList<OutboxEntry>> PendingAsync(int limit, CancellationToken cancellationToken = default) =>
        await database.QueryAsync("SELECT * FROM outbox ORDER BY created_at, id LIMIT $limit", Documents.Parameters(("limit", limit)),
            r => new OutboxEntry(Guid.Parse(SqliteValues.Text(r, "id")), SqliteValues.Text(r, "message_type"), SqliteValues.Text(r, "body"),
                SqliteValues.Time(r, "created_at")), cancellationToken);

    public Task CompleteAsync(IReadOnlyCollection<Guid> ids, CancellationToken cancellationToken = default) => ids.Count == 0 ? Task.CompletedTask :
        database.ExecuteUnsyncedAsync("DELETE FROM outbox WHERE id IN (SELECT value FROM json_each($ids))",
            Documents.Parameters(("ids", JsonSerializer.Serialize(ids.Select(id => id.ToString())))), cancellationToken);
}

public sealed class SqliteSettingsStore(SqliteDatabase database) : ISettingsStore
{
    public async Task<IReadOnlyDictionary<string, SyncedSetting>> GetAsync(string userId, IReadOnlyCollection<string> keys,
        CancellationToken cancellationToken = default)
    {
        if (keys.Count == 0) return new Dictionary<string, SyncedSetting>();
        var parameters = Documents.Parameters(("user", userId), ("keys", JsonSerializer.Serialize(keys)));
        var rows = await database.QueryAsync(
            "SELECT key, timestamp, value FROM user_settings WHERE user_id = $user AND key IN (SELECT value FROM json_each($keys))", parameters,
            r => (Key: r.GetString(0), Setting: new SyncedSetting(r.GetInt64(1), r.GetString(2))), cancellationToken);
        return rows.ToDictionary(r => r.Key, r => r.Setting);
    }

    public Task<IReadOnlyDictionary<string, SyncedSetting>> SetAsync(string userId, IReadOnlyDictionary<string, SyncedSetting> settings,
        CancellationToken cancellationToken = default) =>
        database.WriteTransactionAsync<IReadOnlyDictionary<string, SyncedSetting>>(async (connection, transaction) =>
        {
            var written = new Dictionary<string, SyncedSetting>();
            foreach (var (key, setting) in settings)
            {
                var command = SqliteDatabase.Command(connection,
                    "INSERT INTO user_settings (user_id, key, timestamp, value) VALUES ($user, $key, $timestamp, $value) " +
                    "ON CONFLICT (user_id, key) DO UPDATE SET timestamp = excluded.timestamp, value = excluded.value " +
                    "WHERE excluded.timestamp >= user_settings.timestamp",
                    Documents.Parameters(("user", userId), ("key", key), ("timestamp", setting.Timestamp), ("value", setting.Value)));
                command.Transaction = transaction;
                if (await command.ExecuteNonQueryAsync(cancellationToken) == 1) written[key] = setting;
            }
            return written;
        }, cancellationToken);
}

public sealed class SqliteBotStore(SqliteDatabase database) : IBotStore
{
    public Task CreateAsync(Bot bot, CancellationToken cancellationToken = default) => database.ExecuteAsync(
        "INSERT INTO bots (id, owner_id, token, document) VALUES ($id, $owner, $token, $document)", Row(bot), cancellationToken);

    public async Task<Bot?> GetAsync(string id, CancellationToken cancellationToken = default) =>
        (await database.QueryAsync("SELECT document FROM bots WHERE id = $id", Documents.Parameters(("id", id)), Documents.Read<Bot>, cancellationToken))
        .SingleOrDefault();

    public async Task<Bot?> FindByTokenAsync(string token, CancellationToken cancellationToken = default) =>
        (await database.QueryAsync("SELECT document FROM bots WHERE token = $token", Documents.Parameters(("token", token)), Documents.Read<Bot>,
            cancellationToken)).SingleOrDefault();

    public async Task<IReadOnlyList<Bot>> ListByOwnerAsync(string ownerId, CancellationToken cancellationToken = default) =>
        await database.QueryAsync("SELECT document FROM bots WHERE owner_id = $owner ORDER BY id", Documents.Parameters(("owner", ownerId)),
            Documents.Read<Bot>, cancellationToken);

    public Task UpdateAsync(Bot bot, CancellationToken cancellationToken = default) => database.ExecuteAsync(
        "UPDATE bots SET token = $token, document = $document WHERE id = $id", Row(bot), cancellationToken);

    public Task DeleteAsync(string id, CancellationToken cancellationToken = default) =>
        database.ExecuteAsync("DELETE FROM bots WHERE id = $id", Documents.Parameters(("id", id)), cancellationToken);

    private static Dictionary<string, object?> Row(Bot bot) =>
        Documents.Parameters(("id", bot.Id), ("owner", bot.Owner), ("token", bot.Token), ("document", Documents.Write(bot)));
}

public sealed class SqliteWebhookStore(SqliteDatabase database) : IWebhookStore
{
    public Task CreateAsync(Webhook webhook, CancellationToken cancellationToken = default) => database.ExecuteAsync(
        "INSERT INTO webhooks (id, channel_id, token, document) VALUES ($id, $channel, $token, $document)", Row(webhook), cancellationToken);

    public async Task<Webhook?> GetAsync(string id, CancellationToken cancellationToken = default) =>
        (await database.QueryAsync("SELECT document FROM webhooks WHERE id = $id", Documents.Parameters(("id", id)), Documents.Read<Webhook>,
            cancellationToken)).SingleOrDefault();

    public async Task<IReadOnlyList<Webhook>> ListByChannelAsync(string channelId, CancellationToken cancellationToken = default) =>
        await database.QueryAsync("SELECT document FROM webhooks WHERE channel_id = $channel ORDER BY id", Documents.Parameters(("channel", channelId)),
            Documents.Read<Webhook>, cancellationToken);

    public Task UpdateAsync(Webhook webhook, CancellationToken cancellationToken = default) => database.ExecuteAsync(
        "UPDATE webhooks SET token = $token, document = $document WHERE id = $id", Row(webhook), cancellationToken);

    public Task DeleteAsync(string id, CancellationToken cancellationToken = default) =>
        database.ExecuteAsync("DELETE FROM webhooks WHERE id = $id", Documents.Parameters(("id", id)), cancellationToken);

    private static Dictionary<string, object?> Row(Webhook webhook) => Documents.Parameters(
        ("id", webhook.Id), ("channel", webhook.ChannelId), ("token", webhook.Token), ("document", Documents.Write(webhook)));
}

public sealed class SqliteEmojiStore(SqliteDatabase database) : IEmojiStore
{
    public Task CreateAsync(Emoji emoji, CancellationToken cancellationToken = default) => database.ExecuteAsync(
        "INSERT INTO emojis (id, server_id, document) VALUES ($id, $server, $document)", Row(emoji), cancellationToken);

    public async Task<Emoji?> GetAsync(string id, CancellationToken cancellationToken = default) =>
        (await database.QueryAsync("SELECT document FROM emojis WHERE id = $id", Documents.Parameters(("id", id)), Documents.Read<Emoji>,
            cancellationToken)).SingleOrDefault();

    public async Task<IReadOnlyList<Emoji>> ListByServerAsync(string serverId, CancellationToken cancellationToken = default) =>
        await database.QueryAsync("SELECT document FROM emojis WHERE server_id = $server ORDER BY id", Documents.Parameters(("server", serverId)),
            Documents.Read<Emoji>, cancellationToken);

    /// <summary>The server column follows the parent in the same statement.</summary>
    public async Task<bool> UpdateAsync(string id, FieldUpdate update, CancellationToken cancellationToken = default)
    {
        var parameters = Documents.Parameters(("id", id));
        var (document, conditions) = SqliteFieldUpdates.Translate(update, parameters);
        return await database.ExecuteAsync(
            $"UPDATE emojis SET document = {document}, server_id = CASE json_extract({document}, '$.parent.type') WHEN 'Server' THEN json_extract({document}, '$.parent.id') END " +
            $"WHERE id = $id{conditions}", parameters, cancellationToken) == 1;
    }

    public Task DeleteAsync(string id, CancellationToken cancellationToken = default) =>
        database.ExecuteAsync("DELETE FROM emojis WHERE id = $id", Documents.Parameters(("id", id)), cancellationToken);

    private static Dictionary<string, object?> Row(Emoji emoji) =>
        Documents.Parameters(("id", emoji.Id), ("server", (emoji.Parent as ServerEmojiParent)?.Id), ("document", Documents.Write(emoji)));
}

public sealed class SqliteReportStore(SqliteDatabase database) : IReportStore
{
    public Task CreateAsync(Report report, CancellationToken cancellationToken = default) => database.ExecuteAsync(
        "INSERT INTO safety_reports (id, document) VALUES ($id, $document)", Documents.Parameters(("id", report.Id), ("document", Documents.Write(report))),
        cancellationToken);
}
