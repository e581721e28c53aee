using System.Net;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Spokes.Api.Caching;
using Spokes.Api.Storage;
using Spokes.Permissions;
using Spokes.TestSupport;
using Xunit.Abstractions;

namespace Spokes.Api.Tests.Caching;

/// <summary>Two Api replicas on one database, one Redis and one RabbitMQ, as the cluster runs them.</summary>
public sealed class TwoReplicas : IAsyncLifetime
{
    private readonly RedisServer _redis = new();
    private readonly RabbitMqServer _rabbitmq = new();
    private readonly TemporaryFolder _data = new("spokes-replicas");

    public WebApplicationFactory<Program> A { get; private set; } = null!;

    public WebApplicationFactory<Program> B { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Task.WhenAll(_redis.InitializeAsync(), _rabbitmq.InitializeAsync());
        A = ApiFixture.Create(_redis.ConnectionString, _rabbitmq.ConnectionString, _data.Path);
        B = ApiFixture.Create(_redis.ConnectionString, _rabbitmq.ConnectionString, _data.Path);
        // One after the other: the first brings the schema up to date.
        foreach (var replica in new[] { A, B })
        {
            replica.CreateClient().Dispose();
            var cache = replica.Services.GetRequiredService<RecordCache>();
            var waited = System.Diagnostics.Stopwatch.StartNew();
            while (!cache.IsTrusted && waited.Elapsed < TimeSpan.FromSeconds(10)) await Task.Delay(20);
        }
    }

    /// <summary>Whether <paramref name="replica"/> serves <paramref name="key"/> from its cache now.</summary>
    public static bool Holds<T>(WebApplicationFactory<Program> replica, string key) where T : class =>
        replica.Services.GetRequiredService<RecordCache>().TryGet<T>(key, out _);

    public async Task DisposeAsync()
    {
        await Teardown.DisposeAsync(A, B);
        await Task.WhenAll(_redis.DisposeAsync(), _rabbitmq.DisposeAsync());
        _data.Dispose();
    }
}

/// <summary>
/// Each test warms replica B's cache, changes something through replica A, and expects B's very next request to be
/// answered exactly as the store now says.
/// </summary>
public class TwoReplicaTests(TwoReplicas replicas, ITestOutputHelper output) : IClassFixture<TwoReplicas>
{
    private const ChannelPermission Talk = ChannelPermission.ViewChannel | ChannelPermission.SendMessage;

    private sealed record Community(OnboardedUser Owner, OnboardedUser Member, StoatSession MemberOnB, string Server, string Channel);

    /// <summary>An owner (on A) and a member (on B) of a new server; the member has sent a message through B, so B holds everything a send reads.</summary>
    private async Task<Community> CommunityAsync()
    {
        var owner = await OnboardedUser.CreateAsync(replicas.A, "owner");
        var member = await OnboardedUser.CreateAsync(replicas.A, "member");
        var created = await owner.Client.PostAsync("/servers/create", "/servers/create", new { name = "Replicated" });
        var server = created.Body.GetProperty("server").GetProperty("_id").GetString()!;
        var channel = created.Body.GetProperty("channels")[0].GetProperty("_id").GetString()!;
        var code = (await owner.Client.PostAsync($"/channels/{channel}/invites", "/channels/{target}/invites")).Body.GetProperty("_id").GetString();
        await member.Client.PostAsync($"/invites/{code}", "/invites/{target}");
        var onB = new StoatSession(replicas.B.CreateClient()) { Token = member.Client.Token };
        var community = new Community(owner, member, onB, server, channel);
        await WarmAsync(() => ExpectSendAsync(community, allowed: true),
            () => TwoReplicas.Holds<Session>(replicas.B, CacheKeys.Session(member.Client.Token!)),
            () => TwoReplicas.Holds<User>(replicas.B, CacheKeys.User(member.Id)),
            () => TwoReplicas.Holds<Server>(replicas.B, CacheKeys.Server(server)),
            () => TwoReplicas.Holds<Member>(replicas.B, CacheKeys.Member(server, member.Id)),
            () => TwoReplicas.Holds<Channel>(replicas.B, CacheKeys.Channel(channel)));
        return community;
    }

    /// <summary>
    /// Repeats <paramref name="request"/> until replica B serves everything <paramref name="held"/> names from its cache,
    /// so that what follows tests invalidation, not a cold read. On a loaded machine B distrusts its cache for a moment
    /// whenever a heartbeat comes later than <see cref="RecordCache.TrustWindow"/>, and reads the store meanwhile.
    /// </summary>
    private static async Task WarmAsync(Func<Task> request, params Func<bool>[] held)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        do
        {
            await request();
            if (held.All(h => h())) return;
            await Task.Delay(50);
        } while (waited.Elapsed < TimeSpan.FromSeconds(30));
        Assert.Fail("Replica B never served the records from its cache.");
    }

    private static async Task ExpectSendAsync(Community community, bool allowed, string? refusal = "MissingPermission")
    {
        var sent = await community.MemberOnB.PostAsync($"/channels/{community.Channel}/messages", "/channels/{target}/messages", new { content = "hello" });
        Assert.True(allowed == (sent.Status == HttpStatusCode.OK), $"expected {(allowed ? "allowed" : "refused")}, got {(int)sent.Status} {sent.ErrorType}");
        if (!allowed) Assert.Equal(refusal, sent.ErrorType);
    }

    [Fact]
    public async Task A_session_revoked_on_one_replica_is_refused_by_the_other_at_once()
    {
        var client = new StoatSession(replicas.A.CreateClient());
        var email = $"revoked-{Guid.NewGuid():N}@example.com";
        await client.PostAsync("/auth/account/create", "/auth/account/create", new { email, password = OnboardedUser.Password });
        var kept = (await client.PostAsync("/auth/session/login", "/auth/session/login", new { email, password = OnboardedUser.Password })).Body;
        var revoked = (await client.PostAsync("/auth/session/login", "/auth/session/login", new { email, password = OnboardedUser.Password })).Body;
        client.Token = kept.GetProperty("token").GetString();
        var onB = new StoatSession(replicas.B.CreateClient()) { Token = revoked.GetProperty("token").GetString() };
        await WarmAsync(async () => Assert.Equal(HttpStatusCode.OK, (await onB.GetAsync("/auth/session/all", "/auth/session/all")).Status),
            () => TwoReplicas.Holds<Session>(replicas.B, CacheKeys.Session(onB.Token!)));

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/auth/session/{revoked.GetProperty("_id").GetString()}", "/auth/session/{id}")).Status);
        var after = await onB.GetAsync("/auth/session/all", "/auth/session/all");
        Assert.Equal(HttpStatusCode.Unauthorized, after.Status);
        Assert.Equal("InvalidSession", after.ErrorType);
    }

    [Fact]
    public async Task Every_session_revoked_on_one_replica_is_refused_by_the_other_at_once()
    {
        var user = await OnboardedUser.CreateAsync(replicas.A, "leaver");
        var onB = new StoatSession(replicas.B.CreateClient()) { Token = user.Client.Token };
        await WarmAsync(async () => Assert.Equal(HttpStatusCode.OK, (await onB.GetAsync("/users/@me", "/users/@me")).Status),
            () => TwoReplicas.Holds<Session>(replicas.B, CacheKeys.Session(user.Client.Token!)));

        Assert.Equal(HttpStatusCode.NoContent, (await user.Client.DeleteAsync("/auth/session/all?revoke_self=true", "/auth/session/all")).Status);
        Assert.Equal("InvalidSession", (await onB.GetAsync("/users/@me", "/users/@me")).ErrorType);
    }

    [Fact]
    public async Task A_server_permission_taken_away_on_one_replica_is_refused_by_the_other_and_given_back_allowed()
    {
        var community = await CommunityAsync();
        var path = $"/servers/{community.Server}/permissions/default";
        await community.Owner.Client.PutAsync(path, "/servers/{target}/permissions/default", new { permissions = (ulong)ChannelPermission.ViewChannel });
        await ExpectSendAsync(community, allowed: false);
        await community.Owner.Client.PutAsync(path, "/servers/{target}/permissions/default", new { permissions = (ulong)Talk });
        await ExpectSendAsync(community, allowed: true);
    }

    [Fact]
    public async Task A_role_changed_on_one_replica_applies_to_the_next_request_on_the_other()
    {
        var community = await CommunityAsync();
        var owner = community.Owner.Client;
        await owner.PutAsync($"/servers/{community.Server}/permissions/default", "/servers/{target}/permissions/default",
            new { permissions = (ulong)ChannelPermission.ViewChannel });
        var role = (await owner.PostAsync($"/servers/{community.Server}/roles", "/servers/{target}/roles", new { name = "Talker" })).Body.GetProperty("id").GetString()!;
        var rolePath = $"/servers/{community.Server}/permissions/{role}";
        await owner.PutAsync(rolePath, "/servers/{target}/permissions/{role_id}", new { permissions = new { allow = (ulong)ChannelPermission.SendMessage, deny = 0UL } });
        await ExpectSendAsync(community, allowed: false);
        await owner.PatchAsync($"/servers/{community.Server}/members/{community.Member.Id}", "/servers/{server}/members/{member}", new { roles = new[] { role } });
        await ExpectSendAsync(community, allowed: true);
        await owner.PutAsync(rolePath, "/servers/{target}/permissions/{role_id}", new { permissions = new { allow = 0UL, deny = 0UL } });
        await ExpectSendAsync(community, allowed: false);
        await owner.PutAsync(rolePath, "/servers/{target}/permissions/{role_id}", new { permissions = new { allow = (ulong)ChannelPermission.SendMessage, deny = 0UL } });
        await ExpectSendAsync(community, allowed: true);
        Assert.Equal(HttpStatusCode.NoContent, (await owner.DeleteAsync($"/servers/{community.Server}/roles/{role}", "/servers/{target}/roles/{role_id}")).Status);
        await ExpectSendAsync(community, allowed: false);
    }

    [Fact]
    public async Task A_channel_override_set_on_one_replica_applies_to_the_next_request_on_the_other()
    {
        var community = await CommunityAsync();
        var path = $"/channels/{community.Channel}/permissions/default";
        await community.Owner.Client.PutAsync(path, "/channels/{target}/permissions/default",
            new { permissions = new { allow = 0UL, deny = (ulong)ChannelPermission.SendMessage } });
        await ExpectSendAsync(community, allowed: false);
        await community.Owner.Client.PutAsync(path, "/channels/{target}/permissions/default", new { permissions = new { allow = 0UL, deny = 0UL } });
        await ExpectSendAsync(community, allowed: true);
    }

    [Fact]
    public async Task A_member_kicked_on_one_replica_is_refused_by_the_other_at_once()
    {
        var community = await CommunityAsync();
        Assert.Equal(HttpStatusCode.NoContent, (await community.Owner.Client.DeleteAsync($"/servers/{community.Server}/members/{community.Member.Id}",
            "/servers/{target}/members/{member}")).Status);
        await ExpectSendAsync(community, allowed: false);
    }

    [Fact]
    public async Task A_member_banned_on_one_replica_is_refused_by_the_other_at_once()
    {
        var community = await CommunityAsync();
        Assert.Equal(HttpStatusCode.OK, (await community.Owner.Client.PutAsync($"/servers/{community.Server}/bans/{community.Member.Id}",
            "/servers/{server}/bans/{target}", new { reason = "spam" })).Status);
        await ExpectSendAsync(community, allowed: false);
    }

    [Fact]
    public async Task A_member_timed_out_on_one_replica_is_refused_by_the_other_at_once()
    {
        var community = await CommunityAsync();
        await community.Owner.Client.PatchAsync($"/servers/{community.Server}/members/{community.Member.Id}", "/servers/{server}/members/{member}",
            new { timeout = DateTimeOffset.UtcNow.AddHours(1) });
        await ExpectSendAsync(community, allowed: false);
    }

    [Fact]
    public async Task A_channel_deleted_on_one_replica_is_gone_on_the_other_at_once()
    {
        var community = await CommunityAsync();
        Assert.Equal(HttpStatusCode.NoContent, (await community.Owner.Client.DeleteAsync($"/channels/{community.Channel}", "/channels/{target}")).Status);
        await ExpectSendAsync(community, allowed: false, refusal: "NotFound");
    }

    [Fact]
    public async Task A_server_deleted_on_one_replica_is_gone_on_the_other_at_once()
    {
        var community = await CommunityAsync();
        Assert.Equal(HttpStatusCode.NoContent, (await community.Owner.Client.DeleteAsync($"/servers/{community.Server}", "/servers/{target}")).Status);
        await ExpectSendAsync(community, allowed: false, refusal: "NotFound");
    }

    [Fact]
    public async Task A_profile_changed_on_one_replica_is_read_back_from_the_other()
    {
        var user = await OnboardedUser.CreateAsync(replicas.A, "renamed");
        var onB = new StoatSession(replicas.B.CreateClient()) { Token = user.Client.Token };
        await WarmAsync(() => onB.GetAsync("/users/@me", "/users/@me"), () => TwoReplicas.Holds<User>(replicas.B, CacheKeys.User(user.Id)));
        await user.Client.PatchAsync("/users/@me", "/users/{target}", new { display_name = "Someone Else" });
        Assert.Equal("Someone Else", (await onB.GetAsync("/users/@me", "/users/@me")).Body.GetProperty("display_name").GetString());
    }

    [Fact]
    public Task The_api_allows_exactly_what_the_calculator_allows_when_settings_change_on_another_replica() =>
        PermissionAgreementTests.RunAsync(replicas.A, replicas.B, output);
}
