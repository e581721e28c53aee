using static Spokes.Permissions.ChannelPermission;

namespace Spokes.Permissions.Tests;

public class GroupDefaultsTests
{
    [Fact]
    public void A_group_without_granted_permissions_gives_its_members_what_a_dm_gives()
    {
        var group = new GroupChannel("alice", ["alice", "bob"], null);
        var bob = PermissionCalculator.ForGroup(new Actor("bob"), group);
        Assert.Equal(DefaultPermissions.ViewOnly | DefaultPermissions.DirectMessage, bob);
        Assert.True(bob.HasFlag(SendMessage));
        Assert.Equal(None, PermissionCalculator.ForGroup(new Actor("carol"), group));
    }

    [Fact]
    public void Permissions_the_owner_set_replace_the_defaults()
    {
        var group = new GroupChannel("alice", ["alice", "bob"], None);
        Assert.Equal(DefaultPermissions.ViewOnly, PermissionCalculator.ForGroup(new Actor("bob"), group));
    }
}
