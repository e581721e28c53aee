namespace Spokes.Api.Storage;

/// <summary>A change to a message's reactions, applied atomically by the store so concurrent reactions are never lost.</summary>
public abstract record ReactionChange
{
    public sealed record Add(string Emoji, string User) : ReactionChange;

    public sealed record Remove(string Emoji, string User) : ReactionChange;

    /// <summary>Everyone's reaction with <see cref="Emoji"/>.</summary>
    public sealed record RemoveEmoji(string Emoji) : ReactionChange;

    public sealed record Clear : ReactionChange;

    public IReadOnlyDictionary<string, IReadOnlyList<string>>? ApplyTo(IReadOnlyDictionary<string, IReadOnlyList<string>>? reactions)
    {
        var result = (reactions ?? new Dictionary<string, IReadOnlyList<string>>()).ToDictionary(r => r.Key, r => r.Value.ToList());
        switch (this)
        {
            case Add add:
                if (!result.TryGetValue(add.Emoji, out var users)) result[add.Emoji] = users = [];
                if (!users.Contains(add.User)) users.Add(add.User);
                break;
            case Remove remove when result.TryGetValue(remove.Emoji, out var reacted):
                reacted.Remove(remove.User);
                if (reacted.Count == 0) result.Remove(remove.Emoji);
                break;
            case RemoveEmoji removeEmoji:
                result.Remove(removeEmoji.Emoji);
                break;
            case Clear:
                result.Clear();
                break;
        }
        return result.Count == 0 ? null : result.ToDictionary(r => r.Key, r => (IReadOnlyList<string>)r.Value);
    }
}

public interface IMessageStore
{
    /// <summary>
    /// Stores the message, marks it the channel's last message, and queues <paramref name="outbox"/>, all or
    /// nothing. Throws <see cref="DuplicateKeyException"/> ("key") if the id is taken.
    /// </summary>
    Task InsertAsync(Message message, IReadOnlyList<OutboxEntry> outbox, CancellationToken cancellationToken = default);

    Task<Message?> GetAsync(string channelId, string id, CancellationToken cancellationToken = default);

    /// <summary>A message by id alone, wherever it was sent.</summary>
    Task<Message?> FindAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>The messages of <paramref name="ids"/> that are in the channel, in no particular order.</summary>
    Task<IReadOnlyList<Message>> GetManyAsync(string channelId, IReadOnlyCollection<string> ids, CancellationToken cancellationToken = default);

    /// <summary>A page of the channel's messages (searched when <see cref="MessageQuery.Text"/> is set), in the query's order.</summary>
    Task<IReadOnlyList<Message>> QueryAsync(MessageQuery query, CancellationToken cancellationToken = default);

    /// <summary>
    /// Writes only the fields the update names (content, embeds, edited, pinned; reactions change through
    /// <see cref="ChangeReactionsAsync"/>); false when the message is gone or an expectation failed.
    /// </summary>
    Task<bool> UpdateAsync(string channelId, string id, FieldUpdate update, CancellationToken cancellationToken = default);

    /// <summary>
    /// <see cref="UpdateAsync(string, string, FieldUpdate, CancellationToken)"/>, queueing <paramref name="outbox"/> in the
    /// same write (an edit's request for embeds): both or neither.
    /// </summary>
    Task<bool> UpdateAsync(string channelId, string id, FieldUpdate update, IReadOnlyList<OutboxEntry> outbox, CancellationToken cancellationToken = default);

    /// <summary>Applies the change and returns the message as it now is; null when the message is gone.</summary>
    Task<Message?> ChangeReactionsAsync(string channelId, string id, ReactionChange change, CancellationToken cancellationToken = default);

    /// <summary>Deletes those of <paramref name="ids"/> that are in the channel; returns how many went.</summary>
    Task<int> DeleteAsync(string channelId, IReadOnlyCollection<string> ids, CancellationToken cancellationToken = default);
}

/// <summary>Integration events waiting for RabbitMQ (see <see cref="OutboxEntry"/>).</summary>
public interface IOutboxStore
{
    /// <summary>The oldest entries not yet published.</summary>
    Task<IReadOnlyList<OutboxEntry>> PendingAsync(int limit, CancellationToken cancellationToken = default);

    /// <summary>Removes entries once the broker has confirmed them, in one write however many there are.</summary>
    Task CompleteAsync(IReadOnlyCollection<Guid> ids, CancellationToken cancellationToken = default);
}

/// <summary>Stoat's <c>user_settings</c>: named client settings, each kept with the time it was written.</summary>
public interface ISettingsStore
{
    Task<IReadOnlyDictionary<string, SyncedSetting>> GetAsync(string userId, IReadOnlyCollection<string> keys, CancellationToken cancellationToken = default);

    /// <summary>Writes each setting unless the stored one is newer (last write by timestamp wins); returns those written.</summary>
    Task<IReadOnlyDictionary<string, SyncedSetting>> SetAsync(string userId, IReadOnlyDictionary<string, SyncedSetting> settings,
        CancellationToken cancellationToken = default);
}

public interface IBotStore
{
    Task CreateAsync(Bot bot, CancellationToken cancellationToken = default);

    Task<Bot?> GetAsync(string id, CancellationToken cancellationToken = default);

    Task<Bot?> FindByTokenAsync(string token, CancellationToken cancellationToken = default);

    /// <summary>The user's bots, by id.</summary>
    Task<IReadOnlyList<Bot>> ListByOwnerAsync(string ownerId, CancellationToken cancellationToken = default);

    Task UpdateAsync(Bot bot, CancellationToken cancellationToken = default);

    Task DeleteAsync(string id, CancellationToken cancellationToken = default);
}

public interface IWebhookStore
{
    Task CreateAsync(Webhook webhook, CancellationToken cancellationToken = default);

    Task<Webhook?> GetAsync(string id, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<Webhook>> ListByChannelAsync(string channelId, CancellationToken cancellationToken = default);

    Task UpdateAsync(Webhook webhook, CancellationToken cancellationToken = default);

    Task DeleteAsync(string id, CancellationToken cancellationToken = default);
}

public interface IEmojiStore
{
    /// <summary>Throws <see cref="DuplicateKeyException"/> ("key") if an emoji already uses the file.</summary>
    Task CreateAsync(Emoji emoji, CancellationToken cancellationToken = default);

    Task<Emoji?> GetAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>A server's emojis, by id.</summary>
    Task<IReadOnlyList<Emoji>> ListByServerAsync(string serverId, CancellationToken cancellationToken = default);

    /// <summary>Writes only the fields the update names; false when the emoji is gone or an expectation failed.</summary>
    Task<bool> UpdateAsync(string id, FieldUpdate update, CancellationToken cancellationToken = default);

    Task DeleteAsync(string id, CancellationToken cancellationToken = default);
}

public interface IReportStore
{
    Task CreateAsync(Report report, CancellationToken cancellationToken = default);
}
