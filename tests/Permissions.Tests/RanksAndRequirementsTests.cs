using static Spokes.Permissions.ChannelPermission;

namespace Spokes.Permissions.Tests;

public class RanksAndRequirementsTests
{
    private static readonly ServerInfo Server = new("owner", DefaultPermissions.Server, new Dictionary<string, Role>
    {
        ["admin"] = new(0, new PermissionOverride(GrantAllSafe, None)),
        ["mod"] = new(1, new PermissionOverride(KickMembers, None)),
        ["helper"] = new(2, PermissionOverride.None),
    });

    private static MemberInfo Member(params string[] roles) => new(roles);

    [Fact]
    public void A_members_rank_is_their_best_role_and_the_owner_outranks_everyone()
    {
        Assert.Equal(PermissionCalculator.OwnerRank, PermissionCalculator.Rank(Server, "owner", null));
        Assert.Equal(PermissionCalculator.NoRoleRank, PermissionCalculator.Rank(Server, "alice", Member()));
        Assert.Equal(1, PermissionCalculator.Rank(Server, "alice", Member("helper", "mod")));
        Assert.Equal(2, PermissionCalculator.Rank(Server, "alice", Member("helper", "deleted")));
    }

    [Fact]
    public void Moderating_needs_a_strictly_higher_rank_and_never_reaches_the_owner()
    {
        PermissionCalculator.RequireAbove(Server, new Actor("mod"), Member("mod"), "helper", Member("helper"));
        PermissionCalculator.RequireAbove(Server, new Actor("owner"), null, "admin", Member("admin"));
        Assert.Equal("NotElevated", Assert.Throws<PermissionDeniedException>(() =>
            PermissionCalculator.RequireAbove(Server, new Actor("mod"), Member("mod"), "peer", Member("mod"))).ErrorType);
        Assert.Equal("NotElevated", Assert.Throws<PermissionDeniedException>(() =>
            PermissionCalculator.RequireAbove(Server, new Actor("helper"), Member("helper"), "mod", Member("mod"))).ErrorType);
        Assert.Equal("InvalidOperation", Assert.Throws<PermissionDeniedException>(() =>
            PermissionCalculator.RequireAbove(Server, new Actor("admin"), Member("admin"), "owner", null)).ErrorType);
    }

    [Fact]
    public void Only_roles_ranked_below_the_actor_can_be_edited_or_assigned()
    {
        PermissionCalculator.RequireAboveRole(Server, new Actor("mod"), Member("mod"), Server.Roles["helper"]);
        PermissionCalculator.RequireAboveRole(Server, new Actor("owner"), null, Server.Roles["admin"]);
        Assert.Throws<PermissionDeniedException>(() => PermissionCalculator.RequireAboveRole(Server, new Actor("mod"), Member("mod"), Server.Roles["mod"]));
        Assert.Throws<PermissionDeniedException>(() => PermissionCalculator.RequireAboveRole(Server, new Actor("mod"), Member("mod"), Server.Roles["admin"]));
    }

    [Fact]
    public void Nobody_gives_a_permission_they_do_not_hold()
    {
        var held = ViewChannel | SendMessage | KickMembers;
        PermissionCalculator.RequireCanGive(held, null, new PermissionOverride(SendMessage, BanMembers));
        Assert.Equal("CannotGiveMissingPermissions", Assert.Throws<PermissionDeniedException>(() =>
            PermissionCalculator.RequireCanGive(held, null, new PermissionOverride(BanMembers, None))).ErrorType);
    }

    [Fact]
    public void Only_what_an_edit_changes_is_checked()
    {
        var held = ViewChannel | SendMessage;
        var current = new PermissionOverride(BanMembers, ManageServer);
        // Keeping someone else's grant of BanMembers and adding SendMessage is fine.
        PermissionCalculator.RequireCanGive(held, current, new PermissionOverride(BanMembers | SendMessage, ManageServer));
        // Denying more is always fine.
        PermissionCalculator.RequireCanGive(held, current, new PermissionOverride(BanMembers, ManageServer | ManageRole));
        // Lifting a deny of something not held is giving it.
        Assert.Throws<PermissionDeniedException>(() => PermissionCalculator.RequireCanGive(held, current, new PermissionOverride(BanMembers, None)));
    }

    [Fact]
    public void A_plain_value_may_keep_and_drop_bits_but_add_only_held_ones()
    {
        var held = ViewChannel | SendMessage;
        // A server default that already grants BanMembers keeps it, and may lose it, without the actor holding it.
        PermissionCalculator.RequireCanGive(held, ViewChannel | BanMembers, ViewChannel | BanMembers | SendMessage);
        PermissionCalculator.RequireCanGive(held, ViewChannel | BanMembers, ViewChannel);
        Assert.Throws<PermissionDeniedException>(() => PermissionCalculator.RequireCanGive(held, ViewChannel, ViewChannel | ManageServer));
    }

    [Fact]
    public void A_refusal_names_the_first_missing_permission()
    {
        PermissionCalculator.Require(ViewChannel | SendMessage, SendMessage);
        var error = Assert.Throws<PermissionDeniedException>(() => PermissionCalculator.Require(ViewChannel, SendMessage | ManageChannel));
        Assert.Equal("MissingPermission", error.ErrorType);
        Assert.Equal("ManageChannel", error.Permission);
        var user = Assert.Throws<PermissionDeniedException>(() => PermissionCalculator.Require(UserPermission.Access, UserPermission.SendMessage));
        Assert.Equal(("MissingUserPermission", "SendMessage"), (user.ErrorType, user.Permission));
    }

    [Theory]
    [InlineData(ManageChannel, 1UL)]
    [InlineData(KickMembers, 64UL)]
    [InlineData(ViewChannel, 1048576UL)]
    [InlineData(SendMessage, 4194304UL)]
    [InlineData(Connect, 1073741824UL)]
    [InlineData(Video, 4294967296UL)]
    [InlineData(ViewAuditLogs, 1099511627776UL)]
    [InlineData(GrantAllSafe, 4503599627370495UL)]
    public void Bit_values_are_stoats(ChannelPermission permission, ulong value) => Assert.Equal(value, (ulong)permission);

    [Fact]
    public void The_database_form_keeps_all_64_bits()
    {
        var full = new PermissionOverride((ChannelPermission)(1UL << 63), GrantAllSafe);
        var (a, d) = full.ToField();
        Assert.True(a < 0);
        Assert.Equal(full, PermissionOverride.FromField(a, d));
    }
}
