using Spokes.Api.Storage;
using Spokes.Api.Users;
using Spokes.Permissions;

namespace Spokes.Api.Tests;

/// <summary>Stoat's rule for <c>online</c> (<c>User::into</c>, <c>into_known</c>, <c>into_self</c>).</summary>
public sealed class PresenceVisibilityTests
{
    private static readonly User Someone = new("U1", "someone", "0001", null, 0, 0, false, DateTimeOffset.UnixEpoch);
    private static readonly User Hiding = Someone with { StatusPresence = "Invisible" };
    private static readonly User Bot = Someone with { BotOwner = "U2" };

    [Fact]
    public void Nobody_is_online_without_a_socket_or_while_Invisible()
    {
        Assert.False(PresenceVisibility.ToSelf(Someone, connected: false));
        Assert.True(PresenceVisibility.ToSelf(Someone, connected: true));
        Assert.True(PresenceVisibility.ToSelf(Someone with { StatusPresence = "Busy" }, connected: true));
        Assert.False(PresenceVisibility.ToSelf(Hiding, connected: true));
        Assert.False(PresenceVisibility.ToAcquaintance(Hiding, RelationshipStatus.Friend, connected: true));
        Assert.False(PresenceVisibility.ToViewer(Hiding, UserPermission.All, connected: true));
        Assert.False(PresenceVisibility.Announces(Hiding));
    }

    [Theory]
    [InlineData(RelationshipStatus.None, true)]
    [InlineData(RelationshipStatus.Friend, true)]
    [InlineData(RelationshipStatus.Blocked, true)]
    [InlineData(RelationshipStatus.BlockedOther, false)]
    public void Among_others_only_the_users_who_block_the_viewer_hide_it(RelationshipStatus viewerToUser, bool shown)
    {
        Assert.Equal(shown, PresenceVisibility.ToAcquaintance(Someone, viewerToUser, connected: true));
        Assert.True(PresenceVisibility.ToAcquaintance(Bot, RelationshipStatus.BlockedOther, connected: true));
    }

    [Fact]
    public void Fetched_on_their_own_users_show_it_to_those_who_may_view_their_profile()
    {
        Assert.True(PresenceVisibility.ToViewer(Someone, UserPermission.Access | UserPermission.ViewProfile, connected: true));
        Assert.False(PresenceVisibility.ToViewer(Someone, UserPermission.Access, connected: true));
        Assert.False(PresenceVisibility.ToViewer(Someone, UserPermission.None, connected: true));
        Assert.True(PresenceVisibility.ToViewer(Bot, UserPermission.None, connected: true));
        Assert.False(PresenceVisibility.ToViewer(Bot, UserPermission.All, connected: false));
    }
}
