using MongoDB.Driver;
using Spokes.Api.Storage;
using Spokes.Api.Storage.Mongo;
using Spokes.Api.Storage.Sqlite;
using Spokes.Permissions;
using Spokes.TestSupport;

namespace Spokes.Api.Tests.Storage;

/// <summary>
/// One contract for every storage provider: each provider's test class runs these same tests against a
/// real server of its kind. SQLite always runs; MongoDB runs where SPOKES_TEST_MONGO names a server and is
/// reported as skipped elsewhere.
/// </summary>
public abstract class StoreContractTests
{
    protected sealed record Stores(IAccountStore Accounts, ISessionStore Sessions, IUserStore Users);

    protected abstract Task<Stores> CreateStoresAsync();

    private static readonly DateTimeOffset Now = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    private static string Id() => Spokes.Api.Identity.SecureTokens.NewId();

    private static Account NewAccount(string email) => new(Id(), email, email.ToLowerInvariant(), "$argon2id$v=19$m=1,t=1,p=1$c2FsdA$aGFzaA", true, false, Now);

    [SkippableFact]
    public async Task Accounts_are_found_by_id_and_normalised_email_and_an_email_is_taken_once()
    {
        var stores = await CreateStoresAsync();
        var email = $"Alice.{Guid.NewGuid():N}@Example.com";
        var account = NewAccount(email);
        await stores.Accounts.CreateAsync(account);

        Assert.Equal(account, await stores.Accounts.GetAsync(account.Id));
        Assert.Equal(account, await stores.Accounts.FindByEmailAsync(email.ToLowerInvariant()));
        Assert.Null(await stores.Accounts.FindByEmailAsync("nobody@example.com"));
        var duplicate = await Assert.ThrowsAsync<DuplicateKeyException>(() => stores.Accounts.CreateAsync(NewAccount(email.ToUpperInvariant()) with { EmailNormalised = email.ToLowerInvariant() }));
        Assert.Equal("email", duplicate.Field);
    }

    [SkippableFact]
    public async Task Sessions_are_found_by_token_and_listed_renamed_and_deleted_only_by_their_user()
    {
        var stores = await CreateStoresAsync();
        var user = Id();
        var first = new Session(Id(), user, Guid.NewGuid().ToString("N"), "Laptop", Now);
        var second = new Session(Id(), user, Guid.NewGuid().ToString("N"), "Phone", Now);
        await stores.Sessions.CreateAsync(first);
        await stores.Sessions.CreateAsync(second);

        Assert.Equal(first, await stores.Sessions.FindByTokenAsync(first.Token));
        Assert.Null(await stores.Sessions.FindByTokenAsync("not-a-token"));
        Assert.Equal([first.Id, second.Id], (await stores.Sessions.ListAsync(user)).Select(s => s.Id));

        Assert.False(await stores.Sessions.RenameAsync(Id(), first.Id, "Stolen"));
        Assert.True(await stores.Sessions.RenameAsync(user, first.Id, "Work laptop"));
        Assert.Equal("Work laptop", (await stores.Sessions.FindByTokenAsync(first.Token))!.Name);

        Assert.False(await stores.Sessions.DeleteAsync(Id(), second.Id));
        Assert.True(await stores.Sessions.DeleteAsync(user, second.Id));
        Assert.False(await stores.Sessions.DeleteAsync(user, second.Id));
        Assert.Null(await stores.Sessions.FindByTokenAsync(second.Token));
    }

    [SkippableFact]
    public async Task Deleting_all_sessions_can_keep_the_current_one()
    {
        var stores = await CreateStoresAsync();
        var user = Id();
        var sessions = Enumerable.Range(0, 3).Select(i => new Session(Id(), user, Guid.NewGuid().ToString("N"), $"Device {i}", Now)).ToList();
        var stranger = new Session(Id(), Id(), Guid.NewGuid().ToString("N"), "Other user", Now);
        foreach (var session in sessions.Append(stranger)) await stores.Sessions.CreateAsync(session);

        Assert.Equal(2, await stores.Sessions.DeleteAllAsync(user, keepSessionId: sessions[0].Id));
        Assert.Equal([sessions[0].Id], (await stores.Sessions.ListAsync(user)).Select(s => s.Id));
        Assert.Equal(1, await stores.Sessions.DeleteAllAsync(user, keepSessionId: null));
        Assert.Empty(await stores.Sessions.ListAsync(user));
        Assert.NotNull(await stores.Sessions.FindByTokenAsync(stranger.Token));
    }

    [SkippableFact]
    public async Task Users_are_unique_by_username_and_discriminator_without_regard_to_case()
    {
        var stores = await CreateStoresAsync();
        var name = "Alice" + Guid.NewGuid().ToString("N")[..6];
        var alice = new User(Id(), name, "0001", "Alice A.", 4, 0, false, Now);
        await stores.Users.CreateAsync(alice);

        Assert.Equal(alice, await stores.Users.GetAsync(alice.Id));
        Assert.Null(await stores.Users.GetAsync(Id()));
        var taken = await Assert.ThrowsAsync<DuplicateKeyException>(() => stores.Users.CreateAsync(alice with { Id = Id(), Username = name.ToUpperInvariant() }));
        Assert.Equal("username", taken.Field);

        await stores.Users.CreateAsync(alice with { Id = Id(), Discriminator = "0042", DisplayName = null });
        Assert.Equal(new HashSet<string> { "0001", "0042" }, await stores.Users.DiscriminatorsInUseAsync(name.ToLowerInvariant()));
        Assert.Empty(await stores.Users.DiscriminatorsInUseAsync("nobody-" + Guid.NewGuid().ToString("N")[..6]));

        Assert.Equal(alice, await stores.Users.FindByUsernameAsync(name.ToUpperInvariant(), "0001"));
        Assert.Null(await stores.Users.FindByUsernameAsync(name, "0002"));

        var renamed = "Renamed" + Guid.NewGuid().ToString("N")[..6];
        await stores.Users.ChangeUsernameAsync(alice.Id, renamed, "0007");
        Assert.Equal(alice with { Username = renamed, Discriminator = "0007" }, await stores.Users.GetAsync(alice.Id));
        Assert.Equal("username", (await Assert.ThrowsAsync<DuplicateKeyException>(() => stores.Users.ChangeUsernameAsync(alice.Id, name, "0042"))).Field);
    }

    [SkippableFact]
    public async Task What_users_edit_of_themselves_is_written_and_cleared()
    {
        var stores = await CreateStoresAsync();
        var user = new User(Id(), "editor" + Guid.NewGuid().ToString("N")[..6], "0001", null, 0, 0, false, Now);
        await stores.Users.CreateAsync(user);
        var edited = user with { DisplayName = "Ed", StatusText = "away", StatusPresence = "Idle", ProfileContent = "hello", Badges = 1, Flags = 2 };
        await stores.Users.UpdateProfileAsync(edited);
        Assert.Equal(edited, await stores.Users.GetAsync(user.Id));
        await stores.Users.UpdateProfileAsync(edited with { DisplayName = null, StatusText = null, ProfileContent = null });
        Assert.Equal(edited with { DisplayName = null, StatusText = null, ProfileContent = null }, await stores.Users.GetAsync(user.Id));
    }

    [SkippableFact]
    public async Task Both_sides_of_a_relationship_change_together_and_none_removes_them()
    {
        var stores = await CreateStoresAsync();
        var (alice, bob, carol) = (Id(), Id(), Id());
        foreach (var (id, name) in new[] { (alice, "alice"), (bob, "bob"), (carol, "carol") })
            await stores.Users.CreateAsync(new User(id, name + Guid.NewGuid().ToString("N")[..6], "0001", null, 0, 0, false, Now));

        await stores.Users.SetRelationshipAsync(alice, bob, RelationshipStatus.Outgoing, RelationshipStatus.Incoming);
        await stores.Users.SetRelationshipAsync(alice, carol, RelationshipStatus.Blocked, RelationshipStatus.BlockedOther);
        Assert.Equal(new Dictionary<string, RelationshipStatus> { [bob] = RelationshipStatus.Outgoing, [carol] = RelationshipStatus.Blocked },
            await stores.Users.GetRelationshipsAsync(alice));
        Assert.Equal(new Dictionary<string, RelationshipStatus> { [alice] = RelationshipStatus.Incoming }, await stores.Users.GetRelationshipsAsync(bob));

        await stores.Users.SetRelationshipAsync(bob, alice, RelationshipStatus.Friend, RelationshipStatus.Friend);
        Assert.Equal(RelationshipStatus.Friend, (await stores.Users.GetRelationshipsAsync(alice))[bob]);

        await stores.Users.SetRelationshipAsync(alice, bob, RelationshipStatus.None, RelationshipStatus.None);
        Assert.False((await stores.Users.GetRelationshipsAsync(alice)).ContainsKey(bob));
        Assert.Empty(await stores.Users.GetRelationshipsAsync(bob));
        Assert.Empty(await stores.Users.GetRelationshipsAsync(Id()));
    }
}

public sealed class SqliteStoreContractTests : StoreContractTests, IDisposable
{
    private readonly TemporaryFolder _folder = new("spokes-sqlite");

    protected override async Task<Stores> CreateStoresAsync()
    {
        var database = new SqliteDatabase($"Data Source={Path.Combine(_folder.Path, "chat.db")}");
        await database.MigrateAsync();
        // Migrating again must be harmless: every start runs it.
        await database.MigrateAsync();
        return new Stores(new SqliteAccountStore(database), new SqliteSessionStore(database), new SqliteUserStore(database));
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _folder.Dispose();
    }
}

public sealed class MongoStoreContractTests : StoreContractTests
{
    protected override async Task<Stores> CreateStoresAsync()
    {
        var connectionString = Environment.GetEnvironmentVariable("SPOKES_TEST_MONGO");
        Skip.If(string.IsNullOrEmpty(connectionString),
            "SPOKES_TEST_MONGO is not set (no MongoDB server can be installed here): set it to mongodb://host:port/ to run the MongoDB provider's contract.");
        var url = MongoUrl.Create(connectionString);
        // A database per run, so runs never see each other's data.
        var database = new MongoClient(url).GetDatabase($"spokes_contract_{Guid.NewGuid():N}");
        var schema = new MongoSchema(database);
        await schema.EnsureIndexesAsync();
        return new Stores(new MongoAccountStore(schema), new MongoSessionStore(schema), new MongoUserStore(schema));
    }
}
