using System.Text;
using MongoDB.Driver;
using Spokes.Api.Encryption;
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
    protected sealed record Stores(
        IAccountStore Accounts, ISessionStore Sessions, IUserStore Users,
        IServerStore Servers, IChannelStore Channels, IMemberStore Members, IBanStore Bans, IInviteStore Invites,
        IMfaTicketStore Tickets, ISignupInviteStore SignupInvites, IUnreadStore Unreads,
        IMessageStore Messages, IOutboxStore Outbox, ISettingsStore Settings, IEmojiStore Emojis, IKeyringStore Keyring)
    {
        /// <summary>The provider's message store itself, which holds what the encryption layer sealed.</summary>
        public IMessageStore PlainMessages { get; init; } = Messages;
    }

    protected abstract Task<Stores> CreateStoresAsync();

    /// <summary>Everything the provider has written, as text: the files' bytes, or the documents.</summary>
    protected abstract Task<string> StoredTextAsync();

    private const string MasterPassword = "store contract master password";

    /// <summary>The stores as the Api uses them: message content, outbox and channel descriptions sealed by the encryption layer.</summary>
    protected static async Task<Stores> EncryptedAsync(Stores plain)
    {
        var keys = new ContentKeys(plain.Keyring);
        await keys.OpenAsync(MasterPassword);
        return plain with
        {
            Messages = new EncryptedMessageStore(plain.Messages, keys),
            Outbox = new EncryptedOutboxStore(plain.Outbox, keys),
            Channels = new EncryptedChannelStore(plain.Channels, keys),
        };
    }

    private static readonly DateTimeOffset Now = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    private static string Id() => Spokes.Api.Identity.SecureTokens.NewId();

    private static Account NewAccount(string email) => new(Id(), email, email.ToLowerInvariant(), "$argon2id$v=19$m=1,t=1,p=1$c2FsdA$aGFzaA",
        false, Now, EmailVerification.Done, MultiFactor.None);

    [SkippableFact]
    public async Task An_account_keeps_its_whole_state_and_is_found_by_each_outstanding_token()
    {
        var stores = await CreateStoresAsync();
        var account = NewAccount($"state.{Guid.NewGuid():N}@example.com") with
        {
            Verification = new EmailVerification(VerificationStatus.Moving, "verify-" + Id(), Now.AddDays(1), "new@example.com"),
            Mfa = new MultiFactor(TotpStatus.Enabled, "JBSWY3DPEHPK3PXP", ["aaaaa-bbbbb", "ccccc-ddddd"]),
            PasswordReset = new ExpiringToken("reset-" + Id(), Now.AddHours(1)),
            Deletion = new AccountDeletion(DeletionStatus.WaitingForVerification, "delete-" + Id(), Now.AddDays(1)),
        };
        await stores.Accounts.CreateAsync(account);

        Assert.Equal(account, await stores.Accounts.GetAsync(account.Id));
        Assert.Equal(account, await stores.Accounts.FindByTokenAsync(AccountTokenKind.Verification, account.Verification.Token!));
        Assert.Equal(account, await stores.Accounts.FindByTokenAsync(AccountTokenKind.PasswordReset, account.PasswordReset.Token));
        Assert.Equal(account, await stores.Accounts.FindByTokenAsync(AccountTokenKind.Deletion, account.Deletion.Token!));
        Assert.Null(await stores.Accounts.FindByTokenAsync(AccountTokenKind.PasswordReset, account.Verification.Token!));

        var scheduled = account with
        {
            Verification = EmailVerification.Done, PasswordReset = null, Disabled = true,
            Deletion = new AccountDeletion(DeletionStatus.Scheduled, After: Now.AddDays(7)),
        };
        await stores.Accounts.UpdateAsync(scheduled);
        Assert.Equal(scheduled, await stores.Accounts.GetAsync(account.Id));
        Assert.Null(await stores.Accounts.FindByTokenAsync(AccountTokenKind.PasswordReset, account.PasswordReset.Token));
        Assert.DoesNotContain(await stores.Accounts.DueForDeletionAsync(Now.AddDays(6)), a => a.Id == account.Id);
        Assert.Contains(await stores.Accounts.DueForDeletionAsync(Now.AddDays(8)), a => a.Id == account.Id);

        var other = NewAccount($"other.{Guid.NewGuid():N}@example.com");
        await stores.Accounts.CreateAsync(other);
        var taken = await Assert.ThrowsAsync<DuplicateKeyException>(() => stores.Accounts.UpdateAsync(other with { EmailNormalised = account.EmailNormalised }));
        Assert.Equal("email", taken.Field);
        Assert.Equal(other, await stores.Accounts.GetAsync(other.Id));
    }

    [SkippableFact]
    public async Task An_mfa_ticket_is_used_up_once_and_all_of_an_accounts_tickets_can_go_together()
    {
        var stores = await CreateStoresAsync();
        var account = Id();
        var first = new MfaTicket(Id(), account, "t-" + Id(), true, false, Now);
        var second = new MfaTicket(Id(), account, "t-" + Id(), false, true, Now);
        await stores.Tickets.CreateAsync(first);
        await stores.Tickets.CreateAsync(second);

        Assert.Equal(first, await stores.Tickets.FindByTokenAsync(first.Token));
        Assert.True(await stores.Tickets.DeleteAsync(first.Id));
        Assert.False(await stores.Tickets.DeleteAsync(first.Id));
        Assert.Null(await stores.Tickets.FindByTokenAsync(first.Token));
        await stores.Tickets.DeleteAllAsync(account);
        Assert.Null(await stores.Tickets.FindByTokenAsync(second.Token));
    }

    [SkippableFact]
    public async Task Tickets_created_before_a_moment_go_together_and_later_ones_stay()
    {
        var stores = await CreateStoresAsync();
        var cutoff = DateTimeOffset.UtcNow - TimeSpan.FromMinutes(5);
        var old = new MfaTicket(Ulid.NewUlid(cutoff - TimeSpan.FromSeconds(1)).ToString(), Id(), "t-" + Id(), true, false, cutoff);
        var fresh = new MfaTicket(Ulid.NewUlid(cutoff + TimeSpan.FromSeconds(1)).ToString(), Id(), "t-" + Id(), true, false, cutoff);
        await stores.Tickets.CreateAsync(old);
        await stores.Tickets.CreateAsync(fresh);

        Assert.True(await stores.Tickets.DeleteCreatedBeforeAsync(cutoff) >= 1);

        Assert.Null(await stores.Tickets.FindByTokenAsync(old.Token));
        Assert.Equal(fresh, await stores.Tickets.FindByTokenAsync(fresh.Token));
    }

    [SkippableFact]
    public async Task A_signup_invite_is_claimed_once()
    {
        var stores = await CreateStoresAsync();
        var code = "inv" + Guid.NewGuid().ToString("N")[..8];
        await stores.SignupInvites.CreateAsync(new SignupInvite(code));
        Assert.Equal("code", (await Assert.ThrowsAsync<DuplicateKeyException>(() => stores.SignupInvites.CreateAsync(new SignupInvite(code)))).Field);

        Assert.True(await stores.SignupInvites.ClaimAsync(code, "first"));
        Assert.False(await stores.SignupInvites.ClaimAsync(code, "second"));
        Assert.False(await stores.SignupInvites.ClaimAsync("unknown", "second"));
        Assert.Equal(new SignupInvite(code, "first"), await stores.SignupInvites.GetAsync(code));
        Assert.Contains(new SignupInvite(code, "first"), await stores.SignupInvites.ListAsync());
    }

    [SkippableFact]
    public async Task Acking_channels_moves_the_users_read_marker_and_clears_mentions()
    {
        var stores = await CreateStoresAsync();
        var (user, channelA, channelB) = (Id(), Id(), Id());
        await stores.Unreads.AckAsync(user, [channelA, channelB], "01A");
        await stores.Unreads.AckAsync(user, [channelA], "01B");
        await stores.Unreads.AckAsync(Id(), [channelA], "01C");

        var unreads = (await stores.Unreads.ListAsync(user)).OrderBy(u => u.Id.Channel == channelB).ToList();
        Assert.Equal([(channelA, "01B"), (channelB, "01A")], unreads.Select(u => (u.Id.Channel, u.LastId!)).ToList());
        Assert.All(unreads, u => Assert.Equal(user, u.Id.User));
    }

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
    public async Task Accounts_are_listed_in_id_order_and_rekeyed_only_while_their_email_is_unchanged()
    {
        var stores = await CreateStoresAsync();
        var accounts = Enumerable.Range(0, 3).Select(i => NewAccount($"List.{i}.{Guid.NewGuid():N}+Tag@Example.com")).ToList();
        foreach (var account in accounts) await stores.Accounts.CreateAsync(account);

        var listed = await stores.Accounts.ListAsync(accounts[0].Id, 10_000);
        Assert.Equal(listed.Select(a => a.Id).Order(StringComparer.Ordinal), listed.Select(a => a.Id));
        Assert.DoesNotContain(listed, a => a.Id == accounts[0].Id);
        Assert.Equal(accounts.Skip(1), listed.Where(accounts.Contains));
        Assert.Single(await stores.Accounts.ListAsync(null, 1));

        var key = accounts[1].Email.Replace("+Tag", "").ToLowerInvariant();
        Assert.False(await stores.Accounts.SetEmailNormalisedAsync(accounts[1].Id, "moved@example.com", key));
        Assert.True(await stores.Accounts.SetEmailNormalisedAsync(accounts[1].Id, accounts[1].Email, key));
        Assert.Equal(accounts[1] with { EmailNormalised = key }, await stores.Accounts.FindByEmailAsync(key));
        var taken = await Assert.ThrowsAsync<DuplicateKeyException>(() => stores.Accounts.SetEmailNormalisedAsync(accounts[2].Id, accounts[2].Email, key));
        Assert.Equal("email", taken.Field);
        Assert.Equal(accounts[2], await stores.Accounts.GetAsync(accounts[2].Id));
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
    public async Task A_session_keeps_one_push_subscription_that_only_its_user_sets_or_removes()
    {
        var stores = await CreateStoresAsync();
        var user = Id();
        var session = new Session(Id(), user, Guid.NewGuid().ToString("N"), "Browser", Now);
        var other = new Session(Id(), user, Guid.NewGuid().ToString("N"), "Phone", Now, new WebPushSubscription("fcm", "", "device-token"));
        await stores.Sessions.CreateAsync(session);
        await stores.Sessions.CreateAsync(other);
        Assert.Null((await stores.Sessions.FindByTokenAsync(session.Token))!.Subscription);
        Assert.Equal(other, await stores.Sessions.FindByTokenAsync(other.Token));

        var browser = new WebPushSubscription("https://push.example.com/send/abc", "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM", "tBHItJI5svbpez7KI4CCXg");
        Assert.False(await stores.Sessions.SetSubscriptionAsync(Id(), session.Id, browser));
        Assert.Null((await stores.Sessions.FindByTokenAsync(session.Token))!.Subscription);
        Assert.True(await stores.Sessions.SetSubscriptionAsync(user, session.Id, browser));
        Assert.Equal(session with { Subscription = browser }, await stores.Sessions.FindByTokenAsync(session.Token));

        var replaced = browser with { Endpoint = "https://push.example.com/send/def" };
        Assert.True(await stores.Sessions.SetSubscriptionAsync(user, session.Id, replaced));
        Assert.Equal(replaced, (await stores.Sessions.ListAsync(user)).Single(s => s.Id == session.Id).Subscription);

        Assert.True(await stores.Sessions.SetSubscriptionAsync(user, session.Id, null));
        Assert.Null((await stores.Sessions.FindByTokenAsync(session.Token))!.Subscription);
        Assert.Equal(other.Subscription, (await stores.Sessions.FindByTokenAsync(other.Token))!.Subscription);
        Assert.False(await stores.Sessions.SetSubscriptionAsync(user, Id(), browser));
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

    [SkippableFact]
    public async Task Relationship_changes_at_once_leave_one_standing_per_pair()
    {
        var stores = await CreateStoresAsync();
        var (alice, bob) = (Id(), Id());
        foreach (var (id, name) in new[] { (alice, "alice"), (bob, "bob") })
            await stores.Users.CreateAsync(new User(id, name + Guid.NewGuid().ToString("N")[..6], "0001", null, 0, 0, false, Now));

        for (var round = 0; round < 10; round++)
        {
            await Task.WhenAll(
                Task.Run(() => stores.Users.SetRelationshipAsync(alice, bob, RelationshipStatus.Friend, RelationshipStatus.Friend)),
                Task.Run(() => stores.Users.SetRelationshipAsync(alice, bob, RelationshipStatus.Blocked, RelationshipStatus.BlockedOther)),
                Task.Run(() => stores.Users.SetRelationshipAsync(bob, alice, RelationshipStatus.Outgoing, RelationshipStatus.Incoming)));
            Assert.Equal([bob], (await stores.Users.GetRelationshipsAsync(alice)).Keys);
            Assert.Equal([alice], (await stores.Users.GetRelationshipsAsync(bob)).Keys);
            await stores.Users.SetRelationshipAsync(alice, bob, RelationshipStatus.None, RelationshipStatus.None);
        }
        Assert.Empty(await stores.Users.GetRelationshipsAsync(alice));
    }

    private static AutumnFile NewFile(string tag) => new(Id(), tag, "picture.png", new FileMetadata("Image", 640, 480), "image/png", 123_456);

    [SkippableFact]
    public async Task A_users_avatar_and_background_are_kept_as_Stoats_File_and_cleared()
    {
        var stores = await CreateStoresAsync();
        var user = new User(Id(), "pictured" + Guid.NewGuid().ToString("N")[..6], "0001", null, 0, 0, false, Now);
        await stores.Users.CreateAsync(user);
        var avatar = NewFile("avatars") with { UserId = user.Id };
        var background = NewFile("backgrounds") with { UserId = user.Id };

        Assert.True(await stores.Users.UpdateProfileAsync(user.Id, new FieldUpdate().Set("avatar", avatar).Set("profile.background", background)));
        Assert.Equal(user with { Avatar = avatar, ProfileBackground = background }, await stores.Users.GetAsync(user.Id));
        Assert.True(await stores.Users.UpdateProfileAsync(user.Id, new FieldUpdate().Unset("avatar").Set("profile.content", "hi")));
        Assert.Equal(user with { ProfileBackground = background, ProfileContent = "hi" }, await stores.Users.GetAsync(user.Id));

        // The whole-profile write keeps the files it is given, and clears those it is not.
        await stores.Users.UpdateProfileAsync(user with { Avatar = avatar });
        Assert.Equal(user with { Avatar = avatar }, await stores.Users.GetAsync(user.Id));
    }

    [SkippableFact]
    public async Task Icons_banners_member_avatars_and_attachments_are_kept_as_Stoats_File()
    {
        var stores = await CreateStoresAsync();
        var server = NewServer(Id(), Id());
        await stores.Servers.CreateAsync(server);
        var icon = NewFile("icons") with { ServerId = server.Id };
        var banner = NewFile("banners") with { ServerId = server.Id };

        // A file is replaced only if the one read is still there.
        Assert.True(await stores.Servers.UpdateAsync(server.Id, new FieldUpdate().Set("icon", icon).Set("banner", banner).Expect<string?>("icon._id", null)));
        Assert.False(await stores.Servers.UpdateAsync(server.Id, new FieldUpdate().Set("icon", NewFile("icons")).Expect<string?>("icon._id", null)));
        Assert.Equal(Json(server with { Icon = icon, Banner = banner }), Json(await stores.Servers.GetAsync(server.Id)));
        Assert.True(await stores.Servers.UpdateAsync(server.Id, new FieldUpdate().Unset("icon").Expect("icon._id", icon.Id)));
        Assert.Equal(Json(server with { Banner = banner }), Json(await stores.Servers.GetAsync(server.Id)));

        var channel = new TextChannel(Id(), server.Id, "pictures", null, null, null, null, false, null, Icon: NewFile("icons"));
        await stores.Channels.CreateAsync(channel);
        Assert.Equal(Json<Channel>(channel), Json(await stores.Channels.GetAsync(channel.Id)));

        var member = new Member(new MemberKey(server.Id, Id()), Now, null, null, null, null, null);
        await stores.Members.CreateAsync(member);
        var avatar = NewFile("avatars") with { ObjectId = member.Id.User };
        Assert.True(await stores.Members.UpdateAsync(server.Id, member.Id.User, new FieldUpdate().Set("avatar", avatar)));
        Assert.Equal(member with { Avatar = avatar }, await stores.Members.GetAsync(server.Id, member.Id.User));

        var messageId = Id();
        var message = new Message(messageId, channel.Id, Id(), Attachments:
        [
            NewFile("attachments") with { MessageId = messageId },
            new AutumnFile(Id(), "attachments", "notes.txt", new FileMetadata("Text"), "text/plain", 12, MessageId: messageId),
        ]);
        await stores.Messages.InsertAsync(message, []);
        Assert.Equal(Json(message), Json(await stores.Messages.GetAsync(channel.Id, messageId)));
    }

    private static Server NewServer(string owner, string channel) => new(
        Id(), owner, "Club", null, [channel], null, new SystemMessageChannels(channel, null, null, null),
        new Dictionary<string, ServerRole> { [Id()] = new("Mods", new OverrideField(1 << 20, unchecked((long)0x8000_0000_0000_0000UL)), "#ff0000", true, 0) },
        (long)DefaultPermissions.Server, Nsfw: true);

    [SkippableFact]
    public async Task Servers_and_their_channels_round_trip_and_deleting_a_server_takes_everything_with_it()
    {
        var stores = await CreateStoresAsync();
        var owner = Id();
        var channel = new TextChannel(Id(), "", "General", "topic", null, new OverrideField(1, 2), new Dictionary<string, OverrideField> { ["r"] = new(4, 8) }, false,
            new VoiceInformation(5));
        var server = NewServer(owner, channel.Id);
        channel = channel with { Server = server.Id };
        await stores.Servers.CreateAsync(server);
        await stores.Channels.CreateAsync(channel);

        var read = await stores.Servers.GetAsync(server.Id);
        Assert.Equal(Json(server), Json(read));
        Assert.Equal(Json<Channel>(channel), Json(await stores.Channels.GetAsync(channel.Id)));
        Assert.Equal([channel.Id], (await stores.Channels.ListByServerAsync(server.Id)).Select(c => c.Id));
        Assert.True(await stores.Servers.UpdateAsync(server.Id, new FieldUpdate().Set("name", "Renamed").Set("description", "now described")));
        Assert.Equal(("Renamed", "now described"), ((await stores.Servers.GetAsync(server.Id))!.Name, (await stores.Servers.GetAsync(server.Id))!.Description));

        await stores.Members.CreateAsync(new Member(new MemberKey(server.Id, owner), Now, null, null, null, null, null));
        await stores.Bans.SaveAsync(new ServerBan(new MemberKey(server.Id, Id()), "spam"));
        await stores.Invites.CreateAsync(new ServerInvite(Guid.NewGuid().ToString("N")[..8], server.Id, owner, channel.Id));
        await stores.Servers.DeleteAsync(server.Id);
        Assert.Null(await stores.Servers.GetAsync(server.Id));
        Assert.Null(await stores.Channels.GetAsync(channel.Id));
        Assert.Empty(await stores.Members.ListAsync(server.Id));
        Assert.Empty(await stores.Bans.ListAsync(server.Id));
        Assert.Empty(await stores.Invites.ListByServerAsync(server.Id));
        Assert.Empty(await stores.Members.ServersOfAsync(owner));
    }

    [SkippableFact]
    public async Task Members_are_unique_listed_both_ways_and_lose_a_deleted_role()
    {
        var stores = await CreateStoresAsync();
        var (server, other, alice, bob) = (Id(), Id(), Id(), Id());
        var member = new Member(new MemberKey(server, alice), Now, "Al", ["keep", "gone"], Now.AddHours(1), false, null);
        await stores.Members.CreateAsync(member);
        await stores.Members.CreateAsync(new Member(new MemberKey(server, bob), Now, null, ["gone"], null, null, null));
        await stores.Members.CreateAsync(new Member(new MemberKey(other, alice), Now, null, null, null, null, null));
        await Assert.ThrowsAsync<DuplicateKeyException>(() => stores.Members.CreateAsync(member));

        Assert.Equal(Json(member), Json(await stores.Members.GetAsync(server, alice)));
        Assert.Equal(new[] { alice, bob }.Order(StringComparer.Ordinal),
            (await stores.Members.GetManyAsync(server, [alice, bob, Id()])).Select(m => m.Id.User).Order(StringComparer.Ordinal));
        Assert.Empty(await stores.Members.GetManyAsync(server, []));
        Assert.Equal(2, await stores.Members.CountAsync(server));
        Assert.Equal(new[] { server, other }.Order(StringComparer.Ordinal), await stores.Members.ServersOfAsync(alice));

        await stores.Members.RemoveRoleAsync(server, "gone");
        Assert.Equal(["keep"], (await stores.Members.GetAsync(server, alice))!.Roles!);
        Assert.Null((await stores.Members.GetAsync(server, bob))!.Roles);
        Assert.True(await stores.Members.UpdateAsync(server, alice, new FieldUpdate().Unset("nickname")));
        Assert.Null((await stores.Members.GetAsync(server, alice))!.Nickname);
        Assert.True(await stores.Members.RemoveAsync(server, bob, Now));
        Assert.False(await stores.Members.RemoveAsync(server, bob, Now));
        Assert.False(await stores.Members.UpdateAsync(server, bob, new FieldUpdate().Set("nickname", "gone")));
    }

    [SkippableFact]
    public async Task Private_channels_are_found_by_user_and_the_dm_between_two_users()
    {
        var stores = await CreateStoresAsync();
        var (alice, bob, carol) = (Id(), Id(), Id());
        var dm = new DirectMessage(Id(), false, [alice, bob], null);
        var group = new Group(Id(), "Trio", alice, null, [alice, bob], null, 1 << 22, false);
        var saved = new SavedMessages(Id(), alice);
        foreach (var channel in new Channel[] { dm, group, saved }) await stores.Channels.CreateAsync(channel);

        Assert.Equal(new[] { dm.Id, group.Id, saved.Id }.Order(StringComparer.Ordinal), (await stores.Channels.ListPrivateAsync(alice)).Select(c => c.Id));
        Assert.Equal(dm.Id, (await stores.Channels.FindDirectAsync(bob, alice))?.Id);
        Assert.Equal(saved.Id, (await stores.Channels.FindDirectAsync(alice, alice))?.Id);
        Assert.Null(await stores.Channels.FindDirectAsync(alice, carol));

        Assert.True(await stores.Channels.AddRecipientAsync(group.Id, carol, 10));
        Assert.NotNull(await stores.Channels.RemoveRecipientAsync(group.Id, bob));
        Assert.DoesNotContain(group.Id, (await stores.Channels.ListPrivateAsync(bob)).Select(c => c.Id));
        Assert.Contains(group.Id, (await stores.Channels.ListPrivateAsync(carol)).Select(c => c.Id));
        var invite = new GroupInvite(Guid.NewGuid().ToString("N")[..8], alice, group.Id);
        await stores.Invites.CreateAsync(invite);
        Assert.Equal(Json<Invite>(invite), Json(await stores.Invites.GetAsync(invite.Code)));
        await Assert.ThrowsAsync<DuplicateKeyException>(() => stores.Invites.CreateAsync(invite));
        await stores.Channels.DeleteAsync(group.Id);
        Assert.Null(await stores.Invites.GetAsync(invite.Code));
        Assert.DoesNotContain(group.Id, (await stores.Channels.ListPrivateAsync(carol)).Select(c => c.Id));
    }

    [SkippableFact]
    public async Task A_ban_is_saved_again_with_a_new_reason_and_lifted_once()
    {
        var stores = await CreateStoresAsync();
        var (server, user) = (Id(), Id());
        await stores.Bans.SaveAsync(new ServerBan(new MemberKey(server, user), "spam"));
        await stores.Bans.SaveAsync(new ServerBan(new MemberKey(server, user), "more spam"));
        Assert.Equal("more spam", (await stores.Bans.GetAsync(server, user))!.Reason);
        Assert.Single(await stores.Bans.ListAsync(server));
        Assert.True(await stores.Bans.DeleteAsync(server, user));
        Assert.False(await stores.Bans.DeleteAsync(server, user));
    }

    [SkippableFact]
    public async Task Messages_page_both_ways_search_their_text_and_keep_the_channel_last_message()
    {
        var stores = await CreateStoresAsync();
        var channel = new TextChannel(Id(), Id(), "general", null, null, null, null, false, null);
        await stores.Channels.CreateAsync(channel);
        var author = Id();
        var texts = new[] { "the quick brown fox", "spokes and wheels", "a wheel with many spokes, spokes", "nothing here", "brown bread" };
        var sent = new List<Message>();
        foreach (var text in texts)
        {
            var message = new Message(Id(), channel.Id, author, Content: text);
            await stores.Messages.InsertAsync(message, []);
            sent.Add(message);
        }
        await stores.Messages.InsertAsync(new Message(Id(), Id(), author, Content: "spokes elsewhere"), []);

        Assert.Equal(sent[^1].Id, ((TextChannel)(await stores.Channels.GetAsync(channel.Id))!).LastMessageId);
        Assert.Equal(Json(sent[1]), Json(await stores.Messages.GetAsync(channel.Id, sent[1].Id)));
        Assert.Null(await stores.Messages.GetAsync(Id(), sent[1].Id));
        var ids = sent.Select(m => m.Id).ToList();
        Assert.Equal(ids.AsEnumerable().Reverse().Take(2), (await stores.Messages.QueryAsync(new MessageQuery(channel.Id, 2))).Select(m => m.Id));
        Assert.Equal(ids.Skip(1).Take(2), (await stores.Messages.QueryAsync(new MessageQuery(channel.Id, 2, MessageSort.Oldest, After: ids[0]))).Select(m => m.Id));
        Assert.Equal([ids[1], ids[0]], (await stores.Messages.QueryAsync(new MessageQuery(channel.Id, 5, Before: ids[2]))).Select(m => m.Id));
        Assert.Equal([ids[2], ids[1]], (await stores.Messages.QueryAsync(new MessageQuery(channel.Id, 5, MessageSort.Relevance, Text: "spokes"))).Select(m => m.Id));
        Assert.Equal([ids[4], ids[0]], (await stores.Messages.QueryAsync(new MessageQuery(channel.Id, 5, Text: "brown"))).Select(m => m.Id));

        Assert.True(await stores.Messages.UpdateAsync(channel.Id, sent[0].Id, new FieldUpdate().Set("content", "edited to say spokes").Set("pinned", true)));
        Assert.Equal([ids[0]], (await stores.Messages.QueryAsync(new MessageQuery(channel.Id, 5, Pinned: true))).Select(m => m.Id));
        Assert.Contains(ids[0], (await stores.Messages.QueryAsync(new MessageQuery(channel.Id, 5, Text: "spokes"))).Select(m => m.Id));
        Assert.DoesNotContain(ids[0], (await stores.Messages.QueryAsync(new MessageQuery(channel.Id, 5, Text: "fox"))).Select(m => m.Id));

        Assert.Equal(2, await stores.Messages.DeleteAsync(channel.Id, [ids[1], ids[2], Id()]));
        Assert.Empty(await stores.Messages.QueryAsync(new MessageQuery(channel.Id, 5, Text: "wheel")));
        Assert.Equal([ids[0], ids[3]], (await stores.Messages.GetManyAsync(channel.Id, [ids[0], ids[1], ids[3]])).Select(m => m.Id).Order());
    }

    [SkippableFact]
    public async Task Stored_content_holds_none_of_its_words_and_is_still_found_by_them()
    {
        var stores = await CreateStoresAsync();
        Assert.False(await stores.Keyring.HoldsChannelsAsync());
        var channel = new TextChannel(Id(), Id(), "general", "marmoset lighthouse", null, null, null, false, null);
        await stores.Channels.CreateAsync(channel);
        Assert.True(await stores.Keyring.HoldsChannelsAsync());
        var author = Id();
        var first = new Message(Id(), channel.Id, author, Content: "Zephyr quokka, marmalade!",
            Embeds: [new TextEmbed(null, null, "xylophone", "kumquat orchestra", null)]);
        var second = new Message(Id(), channel.Id, author, Content: "a quokka eats pumpernickel");
        var entry = new OutboxEntry(Guid.NewGuid(), "Test", """{"content":"albatross"}""", Now);
        await stores.Messages.InsertAsync(first, [entry]);
        await stores.Messages.InsertAsync(second, []);
        Assert.True(await stores.Messages.UpdateAsync(channel.Id, second.Id, new FieldUpdate().Expect("content", second.Content).Set("content", "a quokka eats rhubarb")));
        Assert.False(await stores.Messages.UpdateAsync(channel.Id, second.Id, new FieldUpdate().Expect("content", second.Content).Set("content", "lost")));
        Assert.True(await stores.Channels.UpdateAsync(channel.Id, new FieldUpdate().Set("description", "marmoset harbour")));

        Assert.Equal(Json(first), Json(await stores.Messages.GetAsync(channel.Id, first.Id)));
        Assert.Equal("a quokka eats rhubarb", (await stores.Messages.FindAsync(second.Id))!.Content);
        Assert.Equal("marmoset harbour", ((TextChannel)(await stores.Channels.GetAsync(channel.Id))!).Description);
        Assert.Equal(entry, Assert.Single(await stores.Outbox.PendingAsync(10)));
        Assert.Equal([second.Id, first.Id], (await stores.Messages.QueryAsync(new MessageQuery(channel.Id, 5, Text: "QUOKKA"))).Select(m => m.Id));
        Assert.Equal([first.Id], (await stores.Messages.QueryAsync(new MessageQuery(channel.Id, 5, Text: "\"zephyr quokka\""))).Select(m => m.Id));
        Assert.Equal([second.Id], (await stores.Messages.QueryAsync(new MessageQuery(channel.Id, 5, MessageSort.Relevance, Text: "rhubarb"))).Select(m => m.Id));
        Assert.Empty(await stores.Messages.QueryAsync(new MessageQuery(channel.Id, 5, Text: "pumpernickel")));
        Assert.Empty(await stores.Messages.QueryAsync(new MessageQuery(channel.Id, 5, Text: "\"quokka zephyr\"")));
        Assert.Empty(await stores.Messages.QueryAsync(new MessageQuery(channel.Id, 5, Text: "?!")));

        var stored = await StoredTextAsync();
        foreach (var word in new[] { "zephyr", "quokka", "marmalade", "xylophone", "kumquat", "orchestra", "pumpernickel", "rhubarb", "marmoset", "lighthouse", "harbour", "albatross" })
            Assert.DoesNotContain(word, stored, StringComparison.OrdinalIgnoreCase);
    }

    [SkippableFact]
    public async Task A_keyring_entry_is_kept_as_first_written_until_replaced()
    {
        var stores = await CreateStoresAsync();
        Assert.Equal("one", await stores.Keyring.AddAsync("test-entry", "one"));
        Assert.Equal("one", await stores.Keyring.AddAsync("test-entry", "two"));
        await stores.Keyring.ReplaceAsync(new Dictionary<string, string> { ["test-entry"] = "three", ["other-entry"] = "four" });
        Assert.Equal("three", await stores.Keyring.GetAsync("test-entry"));
        Assert.Equal("four", (await stores.Keyring.ListAsync())["other-entry"]);
        Assert.Null(await stores.Keyring.GetAsync("missing-entry"));
    }

    [SkippableFact]
    public async Task Rotation_rewraps_the_keys_under_the_new_password_without_rewriting_messages_and_the_old_one_opens_nothing()
    {
        var stores = await CreateStoresAsync();
        var channel = Id();
        var message = new Message(Id(), channel, Id(), Content: "kept through rotation");
        await stores.Messages.InsertAsync(message, []);
        var row = Json(await stores.PlainMessages.GetAsync(channel, message.Id));
        var before = await stores.Keyring.ListAsync();

        await Assert.ThrowsAsync<MasterPasswordException>(() => ContentKeys.RotateAsync(stores.Keyring, "not the password", "new password"));
        Assert.Equal(before, await stores.Keyring.ListAsync());
        await ContentKeys.RotateAsync(stores.Keyring, MasterPassword, "new password");

        Assert.NotEqual(before[ContentKeys.ChannelScope(channel)], (await stores.Keyring.ListAsync())[ContentKeys.ChannelScope(channel)]);
        Assert.Equal(row, Json(await stores.PlainMessages.GetAsync(channel, message.Id)));
        await Assert.ThrowsAsync<MasterPasswordException>(() => new ContentKeys(stores.Keyring).OpenAsync(MasterPassword));
        await Assert.ThrowsAsync<MasterPasswordException>(() => ContentKeys.RotateAsync(stores.Keyring, MasterPassword, "third password"));
        var keys = new ContentKeys(stores.Keyring);
        await keys.OpenAsync("new password");
        Assert.Equal(message.Content, (await new EncryptedMessageStore(stores.PlainMessages, keys).GetAsync(channel, message.Id))!.Content);
    }

    [SkippableFact]
    public async Task Reactions_change_one_at_a_time_and_an_edit_keeps_them()
    {
        var stores = await CreateStoresAsync();
        var message = new Message(Id(), Id(), Id(), Content: "react to me");
        await stores.Messages.InsertAsync(message, []);
        var (alice, bob) = (Id(), Id());
        await Task.WhenAll(
            stores.Messages.ChangeReactionsAsync(message.Channel, message.Id, new ReactionChange.Add("👍", alice)),
            stores.Messages.ChangeReactionsAsync(message.Channel, message.Id, new ReactionChange.Add("👍", bob)),
            stores.Messages.ChangeReactionsAsync(message.Channel, message.Id, new ReactionChange.Add("🎉", bob)));
        Assert.True(await stores.Messages.UpdateAsync(message.Channel, message.Id, new FieldUpdate().Set("content", "edited")));
        var reacted = (await stores.Messages.GetAsync(message.Channel, message.Id))!;
        Assert.Equal("edited", reacted.Content);
        Assert.Equal(new[] { alice, bob }.Order(), reacted.Reactions!["👍"].Order());
        Assert.Equal([bob], reacted.Reactions["🎉"]);

        var removed = await stores.Messages.ChangeReactionsAsync(message.Channel, message.Id, new ReactionChange.Remove("🎉", bob));
        Assert.False(removed!.Reactions!.ContainsKey("🎉"));
        removed = await stores.Messages.ChangeReactionsAsync(message.Channel, message.Id, new ReactionChange.RemoveEmoji("👍"));
        Assert.Null(removed!.Reactions);
        Assert.Null(await stores.Messages.ChangeReactionsAsync(message.Channel, Id(), new ReactionChange.Clear()));
    }

    [SkippableFact]
    public async Task Outbox_entries_are_stored_with_their_message_and_leave_once_completed()
    {
        var stores = await CreateStoresAsync();
        var first = new OutboxEntry(Guid.CreateVersion7(), "Spokes.Contracts.IntegrationEvents.MessageSent", "{\"a\":1}", Now);
        var second = new OutboxEntry(Guid.CreateVersion7(), "Spokes.Contracts.IntegrationEvents.MessageLinksPosted", "{\"b\":2}", Now.AddSeconds(1));
        var message = new Message(Id(), Id(), Id(), Content: "x");
        await stores.Messages.InsertAsync(message, [first, second]);
        await Assert.ThrowsAsync<DuplicateKeyException>(() => stores.Messages.InsertAsync(message with { Content = "again" }, [first]));

        Assert.Equal([first, second], await stores.Outbox.PendingAsync(10));
        await stores.Outbox.CompleteAsync([first.Id]);
        Assert.Equal([second], await stores.Outbox.PendingAsync(10));
        await stores.Outbox.CompleteAsync([second.Id]);
        Assert.Empty(await stores.Outbox.PendingAsync(10));
        Assert.Equal("x", (await stores.Messages.GetAsync(message.Channel, message.Id))!.Content);
    }

    [SkippableFact]
    public async Task Outbox_entries_of_several_messages_are_completed_together_and_only_those_named()
    {
        var stores = await CreateStoresAsync();
        OutboxEntry Entry(int second) => new(Guid.CreateVersion7(), "Spokes.Contracts.IntegrationEvents.MessageSent", $"{{\"n\":{second}}}", Now.AddSeconds(second));
        var (a1, a2, b1, c1) = (Entry(1), Entry(2), Entry(3), Entry(4));
        var channel = Id();
        await stores.Messages.InsertAsync(new Message(Id(), channel, Id(), Content: "a"), [a1, a2]);
        await stores.Messages.InsertAsync(new Message(Id(), channel, Id(), Content: "b"), [b1]);
        await stores.Messages.InsertAsync(new Message(Id(), channel, Id(), Content: "c"), [c1]);

        await stores.Outbox.CompleteAsync([a1.Id, a2.Id, b1.Id, Guid.CreateVersion7()]);
        Assert.Equal([c1], await stores.Outbox.PendingAsync(10));
        await stores.Outbox.CompleteAsync([]);
        Assert.Equal([c1], await stores.Outbox.PendingAsync(10));
    }

    [SkippableFact]
    public async Task An_update_queues_its_outbox_entries_only_when_it_applies()
    {
        var stores = await CreateStoresAsync();
        var message = new Message(Id(), Id(), Id(), Content: "x");
        await stores.Messages.InsertAsync(message, []);

        var refused = new OutboxEntry(Guid.CreateVersion7(), "Spokes.Contracts.IntegrationEvents.MessageLinksPosted", "{\"a\":1}", Now);
        Assert.False(await stores.Messages.UpdateAsync(message.Channel, message.Id, new FieldUpdate().Set("content", "y").Expect("content", "not x"), [refused]));
        Assert.False(await stores.Messages.UpdateAsync(message.Channel, Id(), new FieldUpdate().Set("content", "y"), [refused]));
        Assert.Empty(await stores.Outbox.PendingAsync(10));

        var queued = new OutboxEntry(Guid.CreateVersion7(), "Spokes.Contracts.IntegrationEvents.MessageLinksPosted", "{\"b\":2}", Now);
        Assert.True(await stores.Messages.UpdateAsync(message.Channel, message.Id, new FieldUpdate().Set("content", "y"), [queued]));
        Assert.Equal([queued], await stores.Outbox.PendingAsync(10));
        Assert.Equal("y", (await stores.Messages.GetAsync(message.Channel, message.Id))!.Content);
        await stores.Outbox.CompleteAsync([queued.Id]);
        Assert.Empty(await stores.Outbox.PendingAsync(10));
    }

    [SkippableFact]
    public async Task Settings_keep_the_newest_value_by_timestamp()
    {
        var stores = await CreateStoresAsync();
        var user = Id();
        Assert.Equal(2, (await stores.Settings.SetAsync(user, new Dictionary<string, SyncedSetting> { ["theme"] = new(200, "dark"), ["locale"] = new(200, "en") })).Count);
        var written = await stores.Settings.SetAsync(user, new Dictionary<string, SyncedSetting> { ["theme"] = new(100, "light"), ["locale"] = new(300, "fr") });
        Assert.Equal(["locale"], written.Keys);
        var stored = await stores.Settings.GetAsync(user, ["theme", "locale", "missing"]);
        Assert.Equal(new SyncedSetting(200, "dark"), stored["theme"]);
        Assert.Equal(new SyncedSetting(300, "fr"), stored["locale"]);
        Assert.Equal(2, stored.Count);
        Assert.Empty(await stores.Settings.GetAsync(Id(), ["theme"]));
    }

    [SkippableFact]
    public async Task Mentions_gather_until_the_channel_is_acknowledged()
    {
        var stores = await CreateStoresAsync();
        var (user, channel, first, second) = (Id(), Id(), Id(), Id());
        await stores.Unreads.AddMentionAsync([user], channel, first);
        await stores.Unreads.AddMentionAsync([user], channel, second);
        Assert.Equal([first, second], (await stores.Unreads.ListAsync(user)).Single().Mentions);
        await stores.Unreads.AckAsync(user, [channel], second);
        var unread = (await stores.Unreads.ListAsync(user)).Single();
        Assert.Equal((second, null), (unread.LastId, unread.Mentions));
    }

    [SkippableFact]
    public async Task Emojis_are_listed_by_server_until_detached()
    {
        var stores = await CreateStoresAsync();
        var server = Id();
        var emoji = new Emoji(Id(), new ServerEmojiParent(server), Id(), "party", Animated: true);
        await stores.Emojis.CreateAsync(emoji);
        await Assert.ThrowsAsync<DuplicateKeyException>(() => stores.Emojis.CreateAsync(emoji));
        Assert.Equal(Json(emoji), Json(await stores.Emojis.GetAsync(emoji.Id)));
        Assert.Equal([emoji.Id], (await stores.Emojis.ListByServerAsync(server)).Select(e => e.Id));
        Assert.True(await stores.Emojis.UpdateAsync(emoji.Id, new FieldUpdate().Set<EmojiParent>("parent", new DetachedEmojiParent())));
        Assert.Empty(await stores.Emojis.ListByServerAsync(server));
        Assert.IsType<DetachedEmojiParent>((await stores.Emojis.GetAsync(emoji.Id))!.Parent);
        Assert.Equal("x", (await stores.Messages.FindAsync((await InsertedAsync(stores)).Id))!.Content);
    }

    [SkippableFact]
    public async Task A_field_update_writes_only_its_fields_and_only_while_what_it_expects_holds()
    {
        var stores = await CreateStoresAsync();
        var channel = Id();
        var server = NewServer(Id(), channel) with { Description = "described" };
        var role = server.Roles.Keys.Single();
        await stores.Servers.CreateAsync(server);

        Assert.True(await stores.Servers.UpdateAsync(server.Id, new FieldUpdate()
            .Set($"roles.{role}.name", "Moderators").Set($"roles.{role}.permissions", new OverrideField(8, 0)).Unset($"roles.{role}.colour").Unset("description")));
        var read = (await stores.Servers.GetAsync(server.Id))!;
        Assert.Equal(server.Roles[role] with { Name = "Moderators", Permissions = new OverrideField(8, 0), Colour = null }, read.Roles[role]);
        Assert.Equal(Json(server with { Description = null, Roles = read.Roles }), Json(read));

        // An expectation that no longer holds writes nothing.
        Assert.False(await stores.Servers.UpdateAsync(server.Id, new FieldUpdate().Expect("default_permissions", 1L).Set("name", "Nope")));
        Assert.False(await stores.Servers.UpdateAsync(server.Id, new FieldUpdate().Expect($"roles.{role}.permissions.a", 16L).Set("name", "Nope")));
        Assert.False(await stores.Servers.UpdateAsync(server.Id, new FieldUpdate().Expect("description", "described").Set("name", "Nope")));
        Assert.False(await stores.Servers.UpdateAsync(server.Id, new FieldUpdate().ExpectPresent("roles.gone").Set("roles.gone.name", "Back")));
        Assert.False(await stores.Servers.UpdateAsync(Id(), new FieldUpdate().Set("name", "Nowhere")));
        Assert.Equal(Json(read), Json(await stores.Servers.GetAsync(server.Id)));

        Assert.True(await stores.Servers.UpdateAsync(server.Id, new FieldUpdate()
            .Expect("default_permissions", server.DefaultPermissions).Expect($"roles.{role}.permissions.a", 8L).Expect($"roles.{role}.rank", 0L)
            .Expect("description", (string?)null).ExpectPresent($"roles.{role}").Set("name", "Both held")));
        Assert.Equal("Both held", (await stores.Servers.GetAsync(server.Id))!.Name);

        // A nested field under a missing parent makes the parent; a list is expected whole.
        var text = new TextChannel(channel, server.Id, "general", null, null, null, null, false, null);
        await stores.Channels.CreateAsync(text);
        Assert.True(await stores.Channels.UpdateAsync(channel, new FieldUpdate().Expect($"role_permissions.{role}", (OverrideField?)null)
            .Set($"role_permissions.{role}", new OverrideField(0, 4))));
        Assert.Equal(new OverrideField(0, 4), ((TextChannel)(await stores.Channels.GetAsync(channel))!).RolePermissions![role]);
        var member = new Member(new MemberKey(server.Id, Id()), Now, null, ["a", "b"], null, null, null);
        await stores.Members.CreateAsync(member);
        Assert.False(await stores.Members.UpdateAsync(server.Id, member.Id.User, new FieldUpdate().Expect("roles", new[] { "b", "a" }).Set("nickname", "x")));
        Assert.True(await stores.Members.UpdateAsync(server.Id, member.Id.User, new FieldUpdate().Expect("roles", new[] { "a", "b" }).Set("nickname", "x")));
        Assert.Equal("x", (await stores.Members.GetAsync(server.Id, member.Id.User))!.Nickname);
    }

    [SkippableFact]
    public async Task Field_updates_to_different_fields_at_once_all_hold()
    {
        var stores = await CreateStoresAsync();
        var server = NewServer(Id(), Id());
        var role = server.Roles.Keys.Single();
        await stores.Servers.CreateAsync(server);
        var member = new Member(new MemberKey(server.Id, Id()), Now, null, ["a"], null, null, null);
        await stores.Members.CreateAsync(member);

        await Task.WhenAll(Enumerable.Range(0, 20).Select(i => Task.Run(() => i % 2 == 0
            ? stores.Servers.UpdateAsync(server.Id, new FieldUpdate().Set($"roles.{role}.rank", (long)i).Set($"roles.r{i}", new ServerRole($"Role {i}", default, null, false, i)))
            : stores.Servers.UpdateAsync(server.Id, new FieldUpdate().Set($"roles.r{i}", new ServerRole($"Role {i}", default, null, false, i))))));
        await Task.WhenAll(
            Task.Run(() => stores.Members.UpdateAsync(server.Id, member.Id.User, new FieldUpdate().Set("nickname", "nick"))),
            Task.Run(() => stores.Members.UpdateAsync(server.Id, member.Id.User, new FieldUpdate().Set("timeout", Now.AddHours(1)))),
            Task.Run(() => stores.Members.UpdateAsync(server.Id, member.Id.User, new FieldUpdate().Unset("roles"))));

        var roles = (await stores.Servers.GetAsync(server.Id))!.Roles;
        Assert.Equal(21, roles.Count);
        Assert.Equal(server.Roles[role].Name, roles[role].Name);
        Assert.Equal(("nick", Now.AddHours(1), (IReadOnlyList<string>?)null),
            ((await stores.Members.GetAsync(server.Id, member.Id.User))!.Nickname, (await stores.Members.GetAsync(server.Id, member.Id.User))!.Timeout,
                (await stores.Members.GetAsync(server.Id, member.Id.User))!.Roles));
    }

    [SkippableFact]
    public async Task A_server_gains_a_channel_and_loses_it_from_its_list_and_every_category()
    {
        var stores = await CreateStoresAsync();
        var (first, second, third) = (Id(), Id(), Id());
        var server = NewServer(Id(), first);
        await stores.Servers.CreateAsync(server);
        await stores.Servers.AddChannelAsync(server.Id, second);
        await stores.Servers.AddChannelAsync(server.Id, third);
        Assert.Equal([first, second, third], (await stores.Servers.GetAsync(server.Id))!.Channels);

        await stores.Servers.RemoveChannelAsync(server.Id, second);
        Assert.Equal([first, third], (await stores.Servers.GetAsync(server.Id))!.Channels);
        Assert.Null((await stores.Servers.GetAsync(server.Id))!.Categories);

        await stores.Servers.UpdateAsync(server.Id, new FieldUpdate().Set("categories", new[] { new Category("c1", "One", [first, third]), new Category("c2", "Two", [third]) }));
        await stores.Servers.RemoveChannelAsync(server.Id, third);
        var read = (await stores.Servers.GetAsync(server.Id))!;
        Assert.Equal([first], read.Channels);
        Assert.Equal(Json(new[] { new Category("c1", "One", [first]), new Category("c2", "Two", []) }), Json(read.Categories));
    }

    [SkippableFact]
    public async Task Two_users_have_one_DM_and_a_user_one_saved_messages()
    {
        var stores = await CreateStoresAsync();
        var (alice, bob) = (Id(), Id());
        var dm = new DirectMessage(Id(), false, [alice, bob], null);
        await stores.Channels.CreateAsync(dm);
        var again = await Assert.ThrowsAsync<DuplicateKeyException>(() => stores.Channels.CreateAsync(new DirectMessage(Id(), false, [bob, alice], null)));
        Assert.Equal("direct_key", again.Field);
        var saved = new SavedMessages(Id(), alice);
        await stores.Channels.CreateAsync(saved);
        Assert.Equal("direct_key", (await Assert.ThrowsAsync<DuplicateKeyException>(() => stores.Channels.CreateAsync(new SavedMessages(Id(), alice)))).Field);
        await stores.Channels.CreateAsync(new SavedMessages(Id(), bob));
        await stores.Channels.CreateAsync(new Group(Id(), "Pair", alice, null, [alice, bob], null, null, false));
        await stores.Channels.CreateAsync(new Group(Id(), "Pair again", alice, null, [alice, bob], null, null, false));

        Assert.Equal(dm.Id, (await stores.Channels.FindDirectAsync(bob, alice))!.Id);
        Assert.Equal(saved.Id, (await stores.Channels.FindDirectAsync(alice, alice))!.Id);
        Assert.Equal(4, (await stores.Channels.ListPrivateAsync(alice)).Count);
    }

    [SkippableFact]
    public async Task A_group_takes_recipients_up_to_its_limit_and_one_leaving_hands_an_owned_group_on()
    {
        var stores = await CreateStoresAsync();
        var (owner, bob, carol, dave) = (Id(), Id(), Id(), Id());
        var group = new Group(Id(), "Club", owner, null, [owner, bob], null, null, false);
        await stores.Channels.CreateAsync(group);

        Assert.False(await stores.Channels.AddRecipientAsync(group.Id, bob, 10));
        Assert.True(await stores.Channels.AddRecipientAsync(group.Id, carol, 3));
        Assert.False(await stores.Channels.AddRecipientAsync(group.Id, dave, 3));
        Assert.False(await stores.Channels.AddRecipientAsync(Id(), dave, 10));
        Assert.False(await stores.Channels.AddRecipientAsync((await StoredTextChannelAsync(stores)).Id, dave, 10));
        Assert.Equal([owner, bob, carol], ((Group)(await stores.Channels.GetAsync(group.Id))!).Recipients);
        Assert.Contains(group.Id, (await stores.Channels.ListPrivateAsync(carol)).Select(c => c.Id));

        var left = await stores.Channels.RemoveRecipientAsync(group.Id, bob);
        Assert.Equal(owner, left!.Owner);
        Assert.Equal([owner, carol], left.Recipients);
        Assert.Null(await stores.Channels.RemoveRecipientAsync(group.Id, bob));
        Assert.DoesNotContain(group.Id, (await stores.Channels.ListPrivateAsync(bob)).Select(c => c.Id));

        left = await stores.Channels.RemoveRecipientAsync(group.Id, owner);
        Assert.Equal(carol, left!.Owner);
        Assert.Equal([carol], left.Recipients);
        left = await stores.Channels.RemoveRecipientAsync(group.Id, carol);
        Assert.Empty(left!.Recipients);
        Assert.Equal(Json((Group)(await stores.Channels.GetAsync(group.Id))!), Json(left));
    }

    private static async Task<TextChannel> StoredTextChannelAsync(Stores stores)
    {
        var channel = new TextChannel(Id(), Id(), "general", null, null, null, null, false, null);
        await stores.Channels.CreateAsync(channel);
        return channel;
    }

    [SkippableFact]
    public async Task A_member_who_leaves_timed_out_is_set_aside_and_rejoins_with_the_timeout()
    {
        var stores = await CreateStoresAsync();
        var (server, alice, bob) = (Id(), Id(), Id());
        var timedOut = new Member(new MemberKey(server, alice), Now.AddDays(-1), "Al", ["mods"], Now.AddHours(1), false, false);
        await stores.Members.CreateAsync(timedOut);
        await stores.Members.CreateAsync(new Member(new MemberKey(server, bob), Now, null, null, Now.AddHours(-1), false, null));

        Assert.True(await stores.Members.RemoveAsync(server, alice, Now));
        Assert.True(await stores.Members.RemoveAsync(server, bob, Now));
        Assert.False(await stores.Members.RemoveAsync(server, alice, Now));
        Assert.Null(await stores.Members.GetAsync(server, alice));
        Assert.Empty(await stores.Members.ListAsync(server));
        Assert.Empty(await stores.Members.GetManyAsync(server, [alice, bob]));
        Assert.Equal(0, await stores.Members.CountAsync(server));
        Assert.Empty(await stores.Members.ServersOfAsync(alice));
        Assert.False(await stores.Members.UpdateAsync(server, alice, new FieldUpdate().Unset("timeout")));

        // Back before the timeout ends: still timed out and muted, but with no nickname or roles.
        var rejoined = await stores.Members.CreateAsync(new Member(new MemberKey(server, alice), Now.AddMinutes(5), null, null, null, null, null));
        var expected = new Member(new MemberKey(server, alice), Now.AddMinutes(5), null, null, Now.AddHours(1), false, false);
        Assert.Equal(Json(expected), Json(rejoined));
        Assert.Equal(Json(expected), Json(await stores.Members.GetAsync(server, alice)));
        await Assert.ThrowsAsync<DuplicateKeyException>(() => stores.Members.CreateAsync(new Member(new MemberKey(server, alice), Now, null, null, null, null, null)));

        // Bob's timeout had ended when he left: he was deleted, and comes back afresh.
        var fresh = new Member(new MemberKey(server, bob), Now.AddMinutes(5), null, null, null, null, null);
        Assert.Equal(Json(fresh), Json(await stores.Members.CreateAsync(fresh)));

        // Set aside, then back once the timeout is over: nothing is kept.
        Assert.True(await stores.Members.RemoveAsync(server, alice, Now.AddMinutes(10)));
        var late = new Member(new MemberKey(server, alice), Now.AddHours(2), null, null, null, null, null);
        Assert.Equal(Json(late), Json(await stores.Members.CreateAsync(late)));
        Assert.Equal(2, await stores.Members.CountAsync(server));
    }

    [SkippableFact]
    public async Task A_message_field_update_keeps_its_pin_and_search_in_step()
    {
        var stores = await CreateStoresAsync();
        var channel = Id();
        var message = new Message(Id(), channel, Id(), Content: "first words");
        await stores.Messages.InsertAsync(message, []);
        await stores.Messages.ChangeReactionsAsync(channel, message.Id, new ReactionChange.Add("👍", "someone"));

        Assert.True(await stores.Messages.UpdateAsync(channel, message.Id, new FieldUpdate().Set("pinned", true)));
        Assert.False(await stores.Messages.UpdateAsync(channel, message.Id, new FieldUpdate().Expect("content", "other words").Set("content", "lost words")));
        Assert.True(await stores.Messages.UpdateAsync(channel, message.Id, new FieldUpdate().Expect("content", "first words").Set("content", "second words")
            .Set("edited", Now)));
        Assert.False(await stores.Messages.UpdateAsync(Id(), message.Id, new FieldUpdate().Set("content", "elsewhere")));

        var read = (await stores.Messages.GetAsync(channel, message.Id))!;
        Assert.Equal(("second words", true, Now, 1), (read.Content, read.Pinned, read.Edited!.Value, read.Reactions!["👍"].Count));
        Assert.Equal([message.Id], (await stores.Messages.QueryAsync(new MessageQuery(channel, 5, Pinned: true))).Select(m => m.Id));
        Assert.Equal([message.Id], (await stores.Messages.QueryAsync(new MessageQuery(channel, 5, Text: "second"))).Select(m => m.Id));
        Assert.Empty(await stores.Messages.QueryAsync(new MessageQuery(channel, 5, Text: "first")));

        Assert.True(await stores.Messages.UpdateAsync(channel, message.Id, new FieldUpdate().Unset("pinned")));
        Assert.Empty(await stores.Messages.QueryAsync(new MessageQuery(channel, 5, Pinned: true)));
        Assert.Equal([message.Id], (await stores.Messages.QueryAsync(new MessageQuery(channel, 5, Pinned: false))).Select(m => m.Id));
    }

    [SkippableFact]
    public async Task A_profile_field_update_writes_only_the_fields_it_names()
    {
        var stores = await CreateStoresAsync();
        var user = new User(Id(), "fields" + Guid.NewGuid().ToString("N")[..6], "0001", "Before", 0, 0, false, Now, "away", "Idle", "about me");
        await stores.Users.CreateAsync(user);
        await stores.Users.UpdateProfileAsync(user);

        Assert.True(await stores.Users.UpdateProfileAsync(user.Id, new FieldUpdate().Set("status.text", "busy").Set("badges", 4)));
        Assert.Equal(user with { StatusText = "busy", Badges = 4 }, await stores.Users.GetAsync(user.Id));
        Assert.True(await stores.Users.UpdateProfileAsync(user.Id, new FieldUpdate().Unset("display_name").Unset("status.presence").Set("profile.content", "new")));
        Assert.Equal(user with { StatusText = "busy", Badges = 4, DisplayName = null, StatusPresence = null, ProfileContent = "new" },
            await stores.Users.GetAsync(user.Id));
        Assert.False(await stores.Users.UpdateProfileAsync(user.Id, new FieldUpdate().Expect("status.text", "away").Set("flags", 2)));
        Assert.True(await stores.Users.UpdateProfileAsync(user.Id, new FieldUpdate().Expect("display_name", (string?)null).Set("flags", 2)));
        Assert.Equal(2, (await stores.Users.GetAsync(user.Id))!.Flags);
        Assert.False(await stores.Users.UpdateProfileAsync(Id(), new FieldUpdate().Set("flags", 2)));
    }

    private static async Task<Message> InsertedAsync(Stores stores)
    {
        var message = new Message(Id(), Id(), Id(), Content: "x");
        await stores.Messages.InsertAsync(message, []);
        return message;
    }

    private static string Json<T>(T value) => System.Text.Json.JsonSerializer.Serialize(value, StoatJson.Options);
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
        return await EncryptedAsync(new Stores(new SqliteAccountStore(database), new SqliteSessionStore(database), new SqliteUserStore(database),
            new SqliteServerStore(database), new SqliteChannelStore(database), new SqliteMemberStore(database), new SqliteBanStore(database),
            new SqliteInviteStore(database), new SqliteMfaTicketStore(database), new SqliteSignupInviteStore(database), new SqliteUnreadStore(database),
            new SqliteMessageStore(database, new SqliteSearchIndex(database)), new SqliteOutboxStore(database), new SqliteSettingsStore(database), new SqliteEmojiStore(database),
            new SqliteKeyringStore(database)));
    }

    /// <summary>The database file and its write-ahead log, byte for byte, as a dump of the folder would hold them.</summary>
    protected override async Task<string> StoredTextAsync()
    {
        var text = new StringBuilder();
        foreach (var file in Directory.GetFiles(_folder.Path))
        {
            await using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var copy = new MemoryStream();
            await stream.CopyToAsync(copy);
            text.Append(Encoding.Latin1.GetString(copy.ToArray()));
        }
        return text.ToString();
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
        _database = new MongoClient(url).GetDatabase($"spokes_contract_{Guid.NewGuid():N}");
        var schema = new MongoSchema(_database);
        await schema.EnsureIndexesAsync();
        var messages = new MongoMessageStore(schema);
        return await EncryptedAsync(new Stores(new MongoAccountStore(schema), new MongoSessionStore(schema), new MongoUserStore(schema),
            new MongoServerStore(schema), new MongoChannelStore(schema), new MongoMemberStore(schema), new MongoBanStore(schema),
            new MongoInviteStore(schema), new MongoMfaTicketStore(schema), new MongoSignupInviteStore(schema), new MongoUnreadStore(schema),
            messages, messages, new MongoSettingsStore(schema), new MongoEmojiStore(schema), new MongoKeyringStore(schema)));
    }

    private IMongoDatabase? _database;

    /// <summary>Every document of the test's database, as JSON.</summary>
    protected override async Task<string> StoredTextAsync()
    {
        var text = new StringBuilder();
        foreach (var name in await (await _database!.ListCollectionNamesAsync()).ToListAsync())
        foreach (var document in await _database.GetCollection<MongoDB.Bson.BsonDocument>(name).Find(FilterDefinition<MongoDB.Bson.BsonDocument>.Empty).ToListAsync())
            text.Append(document.ToString());
        return text.ToString();
    }
}
