using System.Net;
using Spokes.Permissions;
using Xunit.Abstractions;

namespace Spokes.Api.Tests;

/// <summary>
/// Random roles, ranks, overrides and timeouts set through the Api; for each, the Api must allow a member
/// exactly what <see cref="PermissionCalculator"/> computes from the same settings.
/// </summary>
[Collection(nameof(ApiCollection))]
public class PermissionAgreementTests(ApiFixture api, ITestOutputHelper output)
{
    private static readonly ChannelPermission[] Pool =
        [ChannelPermission.ViewChannel, ChannelPermission.InviteOthers, ChannelPermission.ManageChannel, ChannelPermission.BanMembers, ChannelPermission.ManageServer];

    private static ChannelPermission RandomSet(Random random) =>
        Pool.Where(_ => random.Next(3) == 0).Aggregate(ChannelPermission.None, (set, bit) => set | bit);

    private static PermissionOverride RandomOverride(Random random) => new(RandomSet(random), RandomSet(random));

    private static object Wire(PermissionOverride value) => new { allow = (ulong)value.Allow, deny = (ulong)value.Deny };

    [Fact]
    public Task The_api_allows_exactly_what_the_calculator_allows_under_random_settings() => RunAsync(api.Factory, api.Factory, output);

    /// <summary>The owner changes the settings through <paramref name="ownerApi"/>; the member is checked through <paramref name="memberApi"/>.</summary>
    internal static async Task RunAsync(Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program> ownerApi,
        Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program> memberApi, ITestOutputHelper output)
    {
        var seed = Environment.GetEnvironmentVariable("SPOKES_PERMISSION_SEED") is { } fixedSeed ? int.Parse(fixedSeed) : Random.Shared.Next();
        output.WriteLine($"seed {seed} (set SPOKES_PERMISSION_SEED to repeat)");
        var random = new Random(seed);
        var owner = await OnboardedUser.CreateAsync(ownerApi, "owner");
        var member = await OnboardedUser.CreateAsync(memberApi, "member");
        var created = await owner.Client.PostAsync("/servers/create", "/servers/create", new { name = "Random" });
        var server = created.Body.GetProperty("server").GetProperty("_id").GetString()!;
        var channel = created.Body.GetProperty("channels")[0].GetProperty("_id").GetString()!;
        var code = (await owner.Client.PostAsync($"/channels/{channel}/invites", "/channels/{target}/invites")).Body.GetProperty("_id").GetString();
        await member.Client.PostAsync($"/invites/{code}", "/invites/{target}");
        var roleIds = new List<string>();
        for (var i = 0; i < 3; i++)
            roleIds.Add((await owner.Client.PostAsync($"/servers/{server}/roles", "/servers/{target}/roles", new { name = $"Role {i}" })).Body.GetProperty("id").GetString()!);

        var checks = 0;
        for (var round = 0; round < 12; round++)
        {
            var serverDefault = RandomSet(random) | (random.Next(2) == 0 ? ChannelPermission.ViewChannel : ChannelPermission.None);
            await owner.Client.PutAsync($"/servers/{server}/permissions/default", "/servers/{target}/permissions/default", new { permissions = (ulong)serverDefault });
            var ranks = roleIds.OrderBy(_ => random.Next()).ToList();
            await owner.Client.PatchAsync($"/servers/{server}/roles/ranks", "/servers/{target}/roles/ranks", new { ranks });
            var roles = new Dictionary<string, Role>();
            var channelOverrides = new Dictionary<string, PermissionOverride>();
            foreach (var id in roleIds)
            {
                roles[id] = new Role(ranks.IndexOf(id), RandomOverride(random));
                await owner.Client.PutAsync($"/servers/{server}/permissions/{id}", "/servers/{target}/permissions/{role_id}", new { permissions = Wire(roles[id].Permissions) });
                channelOverrides[id] = RandomOverride(random);
                await owner.Client.PutAsync($"/channels/{channel}/permissions/{id}", "/channels/{target}/permissions/{role_id}", new { permissions = Wire(channelOverrides[id]) });
            }
            var channelDefault = RandomOverride(random);
            await owner.Client.PutAsync($"/channels/{channel}/permissions/default", "/channels/{target}/permissions/default", new { permissions = Wire(channelDefault) });
            var held = roleIds.Where(_ => random.Next(2) == 0).ToList();
            DateTimeOffset? timeout = random.Next(4) == 0 ? DateTimeOffset.UtcNow.AddHours(1) : null;
            var edit = await owner.Client.PatchAsync($"/servers/{server}/members/{member.Id}", "/servers/{server}/members/{member}",
                timeout is null ? new { roles = held, remove = new[] { "Timeout" } } : new { roles = held, timeout });
            Assert.Equal(HttpStatusCode.OK, edit.Status);

            var serverInfo = new ServerInfo(owner.Id, serverDefault, roles);
            var memberInfo = new MemberInfo(held, timeout);
            var now = DateTimeOffset.UtcNow;
            var serverPermissions = PermissionCalculator.ForServer(new Actor(member.Id), serverInfo, memberInfo, now);
            var channelPermissions = PermissionCalculator.ForServerChannel(new Actor(member.Id), new ServerChannel(channelDefault, channelOverrides), serverInfo, memberInfo, now);
            var setting = $"seed {seed} round {round}: default {serverDefault}, ranks [{string.Join(", ", ranks)}], held [{string.Join(", ", held)}], timeout {timeout is not null}";

            async Task ExpectAsync(Task<StoatSession.Reply> call, bool allowed, string what)
            {
                var reply = await call;
                Assert.True(allowed == ((int)reply.Status < 300), $"{what}: expected {(allowed ? "allowed" : "refused")}, got {(int)reply.Status} {reply.ErrorType}; {setting}");
                if (!allowed) Assert.Equal("MissingPermission", reply.ErrorType);
                checks++;
            }
            await ExpectAsync(member.Client.GetAsync($"/servers/{server}", "/servers/{target}"), serverPermissions.HasFlag(ChannelPermission.ViewChannel), "fetch server");
            await ExpectAsync(member.Client.GetAsync($"/servers/{server}/bans", "/servers/{target}/bans"), serverPermissions.HasFlag(ChannelPermission.BanMembers), "list bans");
            await ExpectAsync(member.Client.GetAsync($"/servers/{server}/invites", "/servers/{target}/invites"), serverPermissions.HasFlag(ChannelPermission.ManageServer), "list invites");
            await ExpectAsync(member.Client.GetAsync($"/channels/{channel}", "/channels/{target}"), channelPermissions.HasFlag(ChannelPermission.ViewChannel), "fetch channel");
            await ExpectAsync(member.Client.PostAsync($"/channels/{channel}/invites", "/channels/{target}/invites"), channelPermissions.HasFlag(ChannelPermission.InviteOthers), "create invite");
            await ExpectAsync(member.Client.PatchAsync($"/channels/{channel}", "/channels/{target}", new { name = "General" }), channelPermissions.HasFlag(ChannelPermission.ManageChannel), "edit channel");
        }
        output.WriteLine($"{checks} decisions agreed");
    }
}
