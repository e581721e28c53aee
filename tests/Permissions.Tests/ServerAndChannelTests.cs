using static Spokes.Permissions.ChannelPermission;

namespace Spokes.Permissions.Tests;

public class ServerAndChannelTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);
    private static readonly Actor Owner = new("owner");
    private static readonly Actor Alice = new("alice");

    private static ServerInfo Server(params (string Id, long Rank, ChannelPermission Allow, ChannelPermission Deny)[] roles) =>
        new("owner", DefaultPermissions.Server, roles.ToDictionary(r => r.Id, r => new Role(r.Rank, new PermissionOverride(r.Allow, r.Deny))));

    private static MemberInfo Member(params string[] roles) => new(roles);

    private static ServerChannel Channel(PermissionOverride? channelDefault = null, params (string Role, ChannelPermission Allow, ChannelPermission Deny)[] roles) =>
        new(channelDefault, roles.ToDictionary(r => r.Role, r => new PermissionOverride(r.Allow, r.Deny)));

    [Fact]
    public void The_owner_and_privileged_users_hold_everything_even_without_a_member_record()
    {
        Assert.Equal(GrantAllSafe, PermissionCalculator.ForServer(Owner, Server(), null, Now));
        Assert.Equal(GrantAllSafe, PermissionCalculator.ForServer(new Actor("admin", Privileged: true), Server(), null, Now));
    }

    [Fact]
    public void Someone_who_is_not_a_member_holds_nothing() =>
        Assert.Equal(None, PermissionCalculator.ForServer(Alice, Server(), null, Now));

    [Fact]
    public void A_member_without_roles_holds_the_server_default() =>
        Assert.Equal(DefaultPermissions.Server, PermissionCalculator.ForServer(Alice, Server(), Member(), Now));

    [Fact]
    public void Roles_allow_and_deny_on_top_of_the_default()
    {
        var server = Server(("mod", 1, KickMembers | ManageMessages, SendMessage));
        var permissions = PermissionCalculator.ForServer(Alice, server, Member("mod"), Now);
        Assert.True(permissions.HasFlag(KickMembers | ManageMessages));
        Assert.False(permissions.HasFlag(SendMessage));
        Assert.True(permissions.HasFlag(ViewChannel));
    }

    [Theory]
    [InlineData(0L, 1L, true)]   // the top role (rank 0) allows, a lower role denies: allowed
    [InlineData(1L, 0L, false)]  // the top role denies, a lower role allows: denied
    public void The_higher_ranked_role_decides_a_conflict(long allowingRank, long denyingRank, bool allowed)
    {
        var server = Server(("allows", allowingRank, BanMembers, None), ("denies", denyingRank, None, BanMembers));
        foreach (var order in new[] { Member("allows", "denies"), Member("denies", "allows") })
        {
            Assert.Equal(allowed, PermissionCalculator.ForServer(Alice, server, order, Now).HasFlag(BanMembers));
        }
    }

    [Fact]
    public void Within_one_override_deny_beats_allow() =>
        Assert.False(PermissionCalculator.ForServer(Alice, Server(("both", 0, BanMembers, BanMembers)), Member("both"), Now).HasFlag(BanMembers));

    [Fact]
    public void Roles_that_no_longer_exist_are_ignored() =>
        Assert.Equal(DefaultPermissions.Server, PermissionCalculator.ForServer(Alice, Server(), Member("deleted-role"), Now));

    [Fact]
    public void A_timed_out_member_keeps_only_viewing_and_history_until_the_timeout_ends()
    {
        var server = Server(("admin", 0, GrantAllSafe, None));
        var timedOut = new MemberInfo(["admin"], Timeout: Now.AddMinutes(5));
        Assert.Equal(DefaultPermissions.AllowInTimeout, PermissionCalculator.ForServer(Alice, server, timedOut, Now));
        Assert.Equal(GrantAllSafe, PermissionCalculator.ForServer(Alice, server, timedOut with { Timeout = Now.AddMinutes(-5) }, Now));
    }

    [Fact]
    public void Members_who_may_not_publish_or_receive_lose_speak_video_and_listen()
    {
        var permissions = PermissionCalculator.ForServer(Alice, Server(), new MemberInfo([], CanPublish: false, CanReceive: false), Now);
        Assert.False(permissions.HasFlag(Speak));
        Assert.False(permissions.HasFlag(Video));
        Assert.False(permissions.HasFlag(Listen));
        Assert.True(permissions.HasFlag(Connect));
    }

    [Fact]
    public void In_a_channel_the_owner_holds_everything_even_where_viewing_is_denied() =>
        Assert.Equal(GrantAllSafe, PermissionCalculator.ForServerChannel(Owner, Channel(new PermissionOverride(None, ViewChannel)), Server(), null, Now));

    [Fact]
    public void Without_view_channel_a_member_can_do_nothing_in_the_channel()
    {
        var server = Server(("mod", 0, ManageMessages | KickMembers, None));
        Assert.Equal(None, PermissionCalculator.ForServerChannel(Alice, Channel(new PermissionOverride(None, ViewChannel)), server, Member("mod"), Now));
    }

    [Fact]
    public void A_role_override_can_reveal_a_channel_hidden_from_everyone()
    {
        var server = Server(("staff", 1, None, None));
        var channel = Channel(new PermissionOverride(None, ViewChannel), ("staff", ViewChannel, None));
        Assert.Equal(None, PermissionCalculator.ForServerChannel(Alice, channel, server, Member(), Now));
        var staff = PermissionCalculator.ForServerChannel(Alice, channel, server, Member("staff"), Now);
        Assert.Equal(DefaultPermissions.Server, staff);
    }

    [Fact]
    public void Channel_role_overrides_apply_in_rank_order_and_only_for_the_members_roles()
    {
        var server = Server(("top", 0, None, None), ("low", 5, None, None), ("other", 2, None, None));
        var channel = Channel(null, ("top", SendMessage, None), ("low", None, SendMessage), ("other", ManageChannel, None));
        var permissions = PermissionCalculator.ForServerChannel(Alice, channel, server, Member("low", "top"), Now);
        Assert.True(permissions.HasFlag(SendMessage));
        Assert.False(permissions.HasFlag(ManageChannel));
    }

    [Fact]
    public void Channel_overrides_apply_after_server_roles()
    {
        var server = Server(("mod", 0, ManageMessages, None));
        var channel = Channel(new PermissionOverride(None, ManageMessages | SendMessage));
        var permissions = PermissionCalculator.ForServerChannel(Alice, channel, server, Member("mod"), Now);
        Assert.False(permissions.HasFlag(ManageMessages));
        Assert.False(permissions.HasFlag(SendMessage));
        Assert.True(permissions.HasFlag(ReadMessageHistory));
    }

    [Fact]
    public void A_channel_cannot_give_back_what_a_timeout_takes()
    {
        var channel = Channel(new PermissionOverride(SendMessage | React, None));
        var member = new MemberInfo([], Timeout: Now.AddHours(1));
        Assert.Equal(DefaultPermissions.AllowInTimeout, PermissionCalculator.ForServerChannel(Alice, channel, Server(), member, Now));
    }

    [Fact]
    public void Non_members_hold_nothing_in_a_server_channel() =>
        Assert.Equal(None, PermissionCalculator.ForServerChannel(Alice, Channel(), Server(), null, Now));
}
