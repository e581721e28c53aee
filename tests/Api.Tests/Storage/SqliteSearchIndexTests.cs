using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Spokes.Api.Storage;
using Spokes.Api.Storage.Sqlite;
using Spokes.TestSupport;

namespace Spokes.Api.Tests.Storage;

/// <summary>
/// The search index kept behind the sends: a send's transaction leaves it alone, yet a search finds every message
/// stored before it, whichever replica stored it, and the index holds each message once.
/// </summary>
public sealed class SqliteSearchIndexTests : IAsyncLifetime
{
    private readonly TemporaryFolder _folder = new("spokes-search-index");
    private readonly string _channel = Ulid.NewUlid().ToString();
    private SqliteDatabase _database = null!;
    private SqliteMessageStore _messages = null!;

    private string Source => $"Data Source={Path.Combine(_folder.Path, "chat.db")}";

    public async Task InitializeAsync()
    {
        _database = new SqliteDatabase(Source);
        await _database.MigrateAsync();
        _messages = new SqliteMessageStore(_database, new SqliteSearchIndex(_database));
    }

    public Task DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        _folder.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_send_leaves_the_index_alone_and_a_search_right_after_it_still_finds_the_message()
    {
        var sent = await SendAsync("tok1 tok2");

        Assert.Equal(0, await IndexedAsync());
        Assert.Equal([sent.Id], await SearchAsync(_messages, "tok2"));
        Assert.Equal(1, await IndexedAsync());
    }

    [Fact]
    public async Task A_search_by_another_replica_sharing_the_file_finds_what_this_one_stored()
    {
        var sent = await SendAsync("tok1");
        // Its own database, connections and index: nothing held in memory is shared, only the file.
        var other = new SqliteDatabase(Source);
        var otherMessages = new SqliteMessageStore(other, new SqliteSearchIndex(other));

        Assert.Equal([sent.Id], await SearchAsync(otherMessages, "tok1"));
    }

    [Fact]
    public async Task The_message_after_a_deleted_newest_one_takes_its_place_in_the_file_and_is_still_indexed()
    {
        var first = await SendAsync("tok1");
        var newest = await SendAsync("tok1");
        Assert.Equal([newest.Id, first.Id], await SearchAsync(_messages, "tok1"));
        var newestSeq = await SeqAsync(newest.Id);

        await _messages.DeleteAsync(_channel, [newest.Id]);
        var next = await SendAsync("tok1");

        Assert.Equal(newestSeq, await SeqAsync(next.Id));
        Assert.Equal([next.Id, first.Id], await SearchAsync(_messages, "tok1"));
    }

    [Fact]
    public async Task A_message_edited_before_it_was_indexed_is_indexed_once_with_its_new_words()
    {
        var sent = await SendAsync("tok1");
        Assert.True(await _messages.UpdateAsync(_channel, sent.Id, new FieldUpdate().Set("search", "tok2")));

        Assert.Empty(await SearchAsync(_messages, "tok1"));
        Assert.Equal([sent.Id], await SearchAsync(_messages, "tok2"));
        Assert.Equal(1, await IndexedAsync());
    }

    [Fact]
    public async Task The_indexer_indexes_what_is_sent_without_waiting_for_a_search_and_what_a_stopped_one_left_behind()
    {
        var leftBehind = await SendAsync("tok1");
        var index = new SqliteSearchIndex(_database);
        var messages = new SqliteMessageStore(_database, index);
        using var indexer = new SqliteSearchIndexer(index, NullLogger<SqliteSearchIndexer>.Instance);
        await indexer.StartAsync(CancellationToken.None);
        try
        {
            await Poll.UntilAsync(async () => await IndexedAsync() == 1, TimeSpan.FromSeconds(10));
            await SendAsync("tok2", messages);
            await Poll.UntilAsync(async () => await IndexedAsync() == 2, TimeSpan.FromSeconds(10));
        }
        finally
        {
            await indexer.StopAsync(CancellationToken.None);
        }
        Assert.Equal([leftBehind.Id], await SearchAsync(_messages, "tok1"));
    }

    private async Task<Message> SendAsync(string tokens, SqliteMessageStore? through = null)
    {
        var message = new Message(Ulid.NewUlid().ToString(), _channel, "author", Content: "x", Search: tokens);
        await (through ?? _messages).InsertAsync(message, []);
        return message;
    }

    private async Task<IReadOnlyList<string>> SearchAsync(SqliteMessageStore messages, string text) =>
        (await messages.QueryAsync(new MessageQuery(_channel, 10, Text: text))).Select(m => m.Id).ToList();

    private async Task<long> IndexedAsync() =>
        (await _database.QueryAsync("SELECT count(*) FROM message_search", Documents.Parameters(), r => r.GetInt64(0))).Single();

    /// <summary>The message's rowid in the file.</summary>
    private async Task<long> SeqAsync(string id) =>
        (await _database.QueryAsync("SELECT seq FROM messages WHERE id = $id", Documents.Parameters(("id", id)), r => r.GetInt64(0))).Single();
}
