namespace Spokes.Permissions.Tests;

/// <summary>
/// The calculator against an independent statement of Stoat's rule, on random servers: for each bit, the
/// last layer that mentions it decides it (layers: server default, roles from lowest rank to the top,
/// channel default, channel role overrides in the same order; within a layer deny beats allow).
/// </summary>
public class RandomizedTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);
    private const ulong Safe = (ulong)ChannelPermission.GrantAllSafe;

    private static ChannelPermission RandomBits(Random random) =>
        (ChannelPermission)((ulong)random.NextInt64() & (ulong)random.NextInt64() & Safe);

    private static ChannelPermission Expected(ServerInfo server, ServerChannel? channel, MemberInfo member)
    {
        var roles = member.Roles.Where(server.Roles.ContainsKey).Distinct()
            .OrderByDescending(id => server.Roles[id].Rank).ThenBy(id => id, StringComparer.Ordinal).ToList();
        var layers = roles.Select(id => server.Roles[id].Permissions).ToList();
        if (channel is not null)
        {
            if (channel.DefaultPermissions is { } channelDefault) layers.Add(channelDefault);
            layers.AddRange(roles.Where(channel.RolePermissions.ContainsKey).Select(id => channel.RolePermissions[id]));
        }

        ulong result = 0;
        for (var bit = 0; bit < 64; bit++)
        {
            var mask = 1UL << bit;
            var on = ((ulong)server.DefaultPermissions & mask) != 0;
            foreach (var layer in layers)
            {
                if (((ulong)layer.Deny & mask) != 0) on = false;
                else if (((ulong)layer.Allow & mask) != 0) on = true;
            }
            if (on) result |= mask;
        }
        var permissions = (ChannelPermission)result;
        if (member.IsTimedOut(Now)) permissions &= DefaultPermissions.AllowInTimeout;
        if (channel is not null && !permissions.HasFlag(ChannelPermission.ViewChannel)) permissions = ChannelPermission.None;
        return permissions;
    }

    [Fact]
    public void Thousands_of_random_servers_agree_with_the_rule()
    {
        var random = new Random(20261122);
        for (var round = 0; round < 5000; round++)
        {
            var roleIds = Enumerable.Range(0, random.Next(0, 8)).Select(i => $"role{i}").ToList();
            var server = new ServerInfo("owner", RandomBits(random) | (random.Next(2) == 0 ? ChannelPermission.ViewChannel : 0),
                roleIds.ToDictionary(id => id, _ => new Role(random.Next(0, 4), new PermissionOverride(RandomBits(random), RandomBits(random)))));
            var memberRoles = roleIds.Where(_ => random.Next(2) == 0).Append("deleted").OrderBy(_ => random.Next()).ToList();
            var member = new MemberInfo(memberRoles, Timeout: random.Next(10) == 0 ? Now.AddMinutes(1) : null);
            var channel = new ServerChannel(
                random.Next(2) == 0 ? new PermissionOverride(RandomBits(random), RandomBits(random)) : null,
                roleIds.Where(_ => random.Next(3) == 0).ToDictionary(id => id, _ => new PermissionOverride(RandomBits(random), RandomBits(random))));
            var actor = new Actor("member");

            Assert.Equal(Expected(server, null, member), PermissionCalculator.ForServer(actor, server, member, Now));
            Assert.Equal(Expected(server, channel, member), PermissionCalculator.ForServerChannel(actor, channel, server, member, Now));

            // The order in which a member's roles are stored never matters.
            var shuffled = member with { Roles = member.Roles.Reverse().ToList() };
            Assert.Equal(PermissionCalculator.ForServerChannel(actor, channel, server, member, Now),
                PermissionCalculator.ForServerChannel(actor, channel, server, shuffled, Now));
        }
    }
}
