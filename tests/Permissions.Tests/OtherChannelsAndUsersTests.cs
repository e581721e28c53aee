using static Spokes.Permissions.ChannelPermission;

namespace Spokes.Permissions.Tests;

public class OtherChannelsAndUsersTests
{
    private static readonly Actor Alice = new("alice");
    private static readonly Actor Bob = new("bob");

    [Fact]
    public void Saved_messages_belong_to_their_owner_alone()
    {
        Assert.Equal(DefaultPermissions.SavedMessages, PermissionCalculator.ForSavedMessages(Alice, new SavedMessagesChannel("alice")));
        Assert.Equal(None, PermissionCalculator.ForSavedMessages(Bob, new SavedMessagesChannel("alice")));
    }

    [Fact]
    public void In_a_dm_the_users_may_write_only_when_they_may_message_each_other()
    {
        var dm = new DirectMessageChannel(["alice", "bob"]);
        Assert.Equal(DefaultPermissions.DirectMessage, PermissionCalculator.ForDirectMessage(Alice, dm, UserPermission.All));
        Assert.Equal(DefaultPermissions.ViewOnly, PermissionCalculator.ForDirectMessage(Alice, dm, UserPermission.Access));
        Assert.Equal(None, PermissionCalculator.ForDirectMessage(new Actor("carol"), dm, UserPermission.All));
    }

    [Fact]
    public void In_a_group_the_owner_holds_everything_and_members_view_plus_what_the_owner_granted()
    {
        var group = new GroupChannel("alice", ["alice", "bob"], SendMessage | React);
        Assert.Equal(GrantAllSafe, PermissionCalculator.ForGroup(Alice, group));
        Assert.Equal(DefaultPermissions.ViewOnly | SendMessage | React, PermissionCalculator.ForGroup(Bob, group));
        Assert.Equal(None, PermissionCalculator.ForGroup(new Actor("carol"), group));
    }

    [Theory]
    [InlineData(RelationshipStatus.Friend, false, false, UserPermission.All)]
    [InlineData(RelationshipStatus.Blocked, true, false, UserPermission.Access)]
    [InlineData(RelationshipStatus.BlockedOther, true, true, UserPermission.Access)]
    [InlineData(RelationshipStatus.Incoming, false, false, UserPermission.Access)]
    [InlineData(RelationshipStatus.Outgoing, false, false, UserPermission.Access)]
    [InlineData(RelationshipStatus.Incoming, true, false, UserPermission.Access | UserPermission.ViewProfile)]
    [InlineData(RelationshipStatus.None, true, false, UserPermission.Access | UserPermission.ViewProfile)]
    [InlineData(RelationshipStatus.None, true, true, UserPermission.Access | UserPermission.ViewProfile | UserPermission.SendMessage)]
    [InlineData(RelationshipStatus.None, false, true, UserPermission.None)]
    [InlineData(RelationshipStatus.None, false, false, UserPermission.None)]
    public void What_one_user_may_do_to_another_follows_their_relationship(RelationshipStatus relationship, bool mutual, bool targetIsBot, UserPermission expected) =>
        Assert.Equal(expected, PermissionCalculator.ForUser(Alice, "bob", relationship, mutual, targetIsBot));

    [Fact]
    public void A_bot_may_write_to_users_it_shares_a_server_with() =>
        Assert.True(PermissionCalculator.ForUser(new Actor("bot", IsBot: true), "bob", RelationshipStatus.None, true, false).HasFlag(UserPermission.SendMessage));

    [Fact]
    public void Users_hold_everything_towards_themselves() =>
        Assert.Equal(UserPermission.All, PermissionCalculator.ForUser(Alice, "alice", RelationshipStatus.User, false, false));
}
