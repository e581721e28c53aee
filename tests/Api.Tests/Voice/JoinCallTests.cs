using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using MassTransit;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Spokes.Api.Connections;
using Spokes.Contracts.Voice;
using Spokes.Permissions;
using Spokes.TestSupport;
using StackExchange.Redis;

namespace Spokes.Api.Tests.Voice;

/// <summary>
/// <c>POST /channels/{id}/join_call</c> and the upkeep of calls, against a stand-in of LiveKit's RoomService that
/// checks the admin token; the tokens handed out are judged by LiveKit's own SDK.
/// </summary>
[Collection(nameof(ApiCollection))]
public class JoinCallTests(ApiFixture api) : IAsyncLifetime
{
    private RoomServiceStandIn _rooms = null!;
    private WebApplicationFactory<Program> _voiceApi = null!;
    private PublishedEvents _events = null!;

    private VoiceStates States => _voiceApi.Services.GetRequiredService<VoiceStates>();

    private WebApplicationFactory<Program> WithNode(string url) => api.Factory.WithWebHostBuilder(web => web
        .UseSetting("LiveKit:Url", url)
        .UseSetting("LiveKit:ApiKey", RoomServiceStandIn.ApiKey)
        .UseSetting("LiveKit:ApiSecret", RoomServiceStandIn.ApiSecret));

    public async Task InitializeAsync()
    {
        _rooms = await RoomServiceStandIn.StartAsync();
        _voiceApi = WithNode(_rooms.Url);
        _events = await PublishedEvents.SubscribeAsync(api);
    }

    public async Task DisposeAsync()
    {
        await _events.DisposeAsync();
        await _voiceApi.DisposeAsync();
        await _rooms.DisposeAsync();
    }

    private sealed record Club(OnboardedUser Owner, OnboardedUser Member, string Server, string General, string Voice);

    private async Task<Club> ClubAsync(int? maxUsers = null, WebApplicationFactory<Program>? on = null)
    {
        var owner = await OnboardedUser.CreateAsync(on ?? _voiceApi, "caller");
        var member = await OnboardedUser.CreateAsync(on ?? _voiceApi, "listener");
        var created = await owner.Client.PostAsync("/servers/create", "/servers/create", new { name = "Voice Club" });
        var server = created.Body.GetProperty("server").GetProperty("_id").GetString()!;
        var general = created.Body.GetProperty("channels")[0].GetProperty("_id").GetString()!;
        object voiceChannel = maxUsers is null ? new { type = "Voice", name = "Lounge" } : new { type = "Voice", name = "Lounge", voice = new { max_users = maxUsers } };
        var voice = (await owner.Client.PostAsync($"/servers/{server}/channels", "/servers/{server}/channels", voiceChannel)).Body.GetProperty("_id").GetString()!;
        var invite = (await owner.Client.PostAsync($"/channels/{general}/invites", "/channels/{target}/invites")).Body.GetProperty("_id").GetString()!;
        Assert.Equal(HttpStatusCode.OK, (await member.Client.PostAsync($"/invites/{invite}", "/invites/{target}")).Status);
        return new Club(owner, member, server, general, voice);
    }

    /// <summary>join_call is newer than the Stoat OpenAPI the sessions check against, so it is called directly.</summary>
    private Task<(HttpStatusCode Status, JsonElement Body)> JoinAsync(OnboardedUser user, string channel, object? body = null) =>
        SendAsync(_voiceApi, HttpMethod.Post, user, $"/channels/{channel}/join_call", body ?? new { });

    private static async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(WebApplicationFactory<Program> on, HttpMethod method, OnboardedUser user,
        string path, object? body)
    {
        using var client = on.CreateClient();
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        request.Headers.Add("X-Session-Token", user.Client.Token);
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    private Task<(HttpStatusCode Status, JsonElement Body)> StopRingAsync(OnboardedUser user, string channel, string target) =>
        SendAsync(_voiceApi, HttpMethod.Put, user, $"/channels/{channel}/end_ring/{target}", null);

    private static async Task DenyAsync(Club club, string channel, ChannelPermission deny) =>
        Assert.Equal(HttpStatusCode.OK, (await club.Owner.Client.PutAsync($"/channels/{channel}/permissions/default", "/channels/{target}/permissions/default",
            new { permissions = new { allow = 0UL, deny = (ulong)deny } })).Status);

    private static UserVoiceState InCall(string userId) => new(userId, DateTimeOffset.UtcNow, true, true, false, false);

    private async Task RefusedAsync(OnboardedUser user, string channel, object? body, string type)
    {
        var (status, error) = await JoinAsync(user, channel, body);
        Assert.Equal((HttpStatusCode.BadRequest, type), (status, error.GetProperty("type").GetString()));
        // Nothing changed: no room asked for, no node chosen for the channel.
        Assert.DoesNotContain(_rooms.Calls, c => c.Method == "CreateRoom" && c.Body["name"]?.GetValue<string>() == channel);
        Assert.Null(await States.NodeAsync(channel));
    }

    [Fact]
    public async Task LiveKits_sdk_accepts_the_token_and_reads_the_room_and_the_grants_of_the_callers_permissions()
    {
        var club = await ClubAsync();
        var (status, answer) = await JoinAsync(club.Owner, club.Voice);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("wss://chat.example.com/livekit", answer.GetProperty("url").GetString());
        var claims = await LiveKitSdk.VerifyTokenAsync(answer.GetProperty("token").GetString()!, RoomServiceStandIn.ApiKey, RoomServiceStandIn.ApiSecret);
        Assert.Equal(club.Owner.Id, claims["sub"]!.GetValue<string>());
        Assert.Equal(club.Owner.Tag, claims["name"]!.GetValue<string>());
        Assert.Equal(club.Owner.Id, JsonNode.Parse(claims["metadata"]!.GetValue<string>())!["_id"]!.GetValue<string>());
        Assert.Equal(10, claims["exp"]!.GetValue<long>() - claims["nbf"]!.GetValue<long>());
        var video = claims["video"]!;
        Assert.Equal(club.Voice, video["room"]!.GetValue<string>());
        Assert.True(video["roomJoin"]!.GetValue<bool>());
        Assert.True(video["canSubscribe"]!.GetValue<bool>());
        Assert.False(video["canPublishData"]!.GetValue<bool>());
        Assert.Equal(["microphone", "camera", "screen_share", "screen_share_audio"], video["canPublishSources"]!.AsArray().Select(s => s!.GetValue<string>()));

        // Without Speak or Video (denied to everyone but the owner), the member may only listen.
        await DenyAsync(club, club.Voice, ChannelPermission.Speak | ChannelPermission.Video);
        (status, answer) = await JoinAsync(club.Member, club.Voice);
        Assert.Equal(HttpStatusCode.OK, status);
        claims = await LiveKitSdk.VerifyTokenAsync(answer.GetProperty("token").GetString()!, RoomServiceStandIn.ApiKey, RoomServiceStandIn.ApiSecret);
        Assert.Empty(claims["video"]!["canPublishSources"]!.AsArray());
        Assert.True(claims["video"]!["canSubscribe"]!.GetValue<bool>());
        await Assert.ThrowsAsync<LiveKitSdkRefusal>(() => LiveKitSdk.VerifyTokenAsync(answer.GetProperty("token").GetString()!, RoomServiceStandIn.ApiKey, "another secret"));
    }

    [Fact]
    public async Task The_room_is_created_on_the_node_with_stoats_timeout_and_metadata_and_the_call_keeps_its_node()
    {
        var club = await ClubAsync();
        Assert.Equal(HttpStatusCode.OK, (await JoinAsync(club.Owner, club.Voice, new { node = "worldwide" })).Status);
        var created = await _rooms.WaitForAsync("CreateRoom", c => c.Body["name"]?.GetValue<string>() == club.Voice);
        Assert.Equal(300, created.Body["empty_timeout"]!.GetValue<int>());
        Assert.Equal(club.Server, JsonNode.Parse(created.Body["metadata"]!.GetValue<string>())!["server"]!.GetValue<string>());
        Assert.True(created.Grant["roomCreate"]!.GetValue<bool>());
        Assert.Equal(club.Voice, created.Grant["room"]!.GetValue<string>());
        Assert.Equal("worldwide", await States.NodeAsync(club.Voice));
    }

    [Fact]
    public async Task Bad_calls_are_refused_with_stoats_errors_and_change_nothing()
    {
        var club = await ClubAsync(maxUsers: 1);
        await RefusedAsync(club.Owner, club.General, null, "NotAVoiceChannel");
        await RefusedAsync(club.Owner, club.Voice, new { node = "mars" }, "UnknownNode");

        // Full: one is in the call already; the owner (ManageChannel) may still join.
        var other = (await OnboardedUser.CreateAsync(_voiceApi, "early")).Id;
        await States.AddAsync(club.Voice, InCall(other));
        await RefusedAsync(club.Member, club.Voice, null, "CannotJoinCall");
        Assert.Equal(HttpStatusCode.OK, (await JoinAsync(club.Owner, club.Voice)).Status);

        var free = (await club.Owner.Client.PostAsync($"/servers/{club.Server}/channels", "/servers/{server}/channels", new { type = "Voice", name = "Free" })).Body.GetProperty("_id").GetString()!;
        await States.AddAsync(free, InCall(club.Member.Id));
        var second = (await club.Owner.Client.PostAsync($"/servers/{club.Server}/channels", "/servers/{server}/channels", new { type = "Voice", name = "Second" })).Body.GetProperty("_id").GetString()!;
        await RefusedAsync(club.Member, second, null, "AlreadyConnected");

        await DenyAsync(club, second, ChannelPermission.Connect);
        var (status, error) = await JoinAsync(club.Member, second, new { force_disconnect = true });
        Assert.Equal((HttpStatusCode.Forbidden, "MissingPermission", "Connect"), (status, error.GetProperty("type").GetString(), error.GetProperty("permission").GetString()));
        Assert.DoesNotContain(_rooms.Calls, c => c.Method == "CreateRoom" && c.Body["name"]?.GetValue<string>() == second);
        Assert.DoesNotContain(_rooms.Calls, c => c.Method == "RemoveParticipant" && c.Body["identity"]?.GetValue<string>() == club.Member.Id);
        Assert.Contains(free, await States.ChannelsOfAsync(club.Member.Id));
    }

    /// <summary>An instance set up by a setup file (demo mode, or licensed), on a database of its own, with the stand-in node.</summary>
    private WebApplicationFactory<Program> SetUp(TemporaryFolder folder, bool licensed)
    {
        var file = Path.Combine(folder.Path, "answers.json");
        File.WriteAllText(file, JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["acceptEula"] = true, ["serverName"] = "Calls", ["identity"] = "builtin",
            ["admin"] = new { email = $"admin-{Guid.NewGuid():N}@example.com", password = "the admin's password" },
            ["license"] = licensed ? "suite.spokes-license" : null,
        }));
        File.Copy(Path.Combine(BuildLayout.RepositoryRoot, "tests", "suite.spokes-license"), Path.Combine(folder.Path, "suite.spokes-license"));
        return _voiceApi.WithWebHostBuilder(web => web
            .UseSetting("Setup:Required", "true").UseSetting("Setup:DataFolder", Path.Combine(folder.Path, "settings")).UseSetting("Setup:File", file)
            .UseSetting("Setup:LicenseVerifyingKey", SuiteLicense.VerifyingKey)
            .UseSetting("ConnectionStrings:mongo", $"Data Source={Path.Combine(folder.Path, "spokes.db")}"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Demo_mode_closes_a_call_of_four_even_to_its_owner_and_a_licence_lifts_that(bool licensed)
    {
        using var folder = new TemporaryFolder("spokes-demo-call");
        await using var instance = SetUp(folder, licensed);
        var club = await ClubAsync(on: instance);
        var states = instance.Services.GetRequiredService<VoiceStates>();
        for (var i = 0; i < Setup.DemoMode.CallParticipants; i++) await states.AddAsync(club.Voice, InCall($"caller{i}-{Guid.NewGuid():N}"));

        var (status, body) = await SendAsync(instance, HttpMethod.Post, club.Owner, $"/channels/{club.Voice}/join_call", new { });
        if (licensed)
        {
            Assert.Equal(HttpStatusCode.OK, status);
            return;
        }
        Assert.Equal((HttpStatusCode.BadRequest, "CannotJoinCall"), (status, body.GetProperty("type").GetString()));
        Assert.DoesNotContain(club.Voice, await states.ChannelsOfAsync(club.Owner.Id));
        Assert.DoesNotContain(_rooms.Calls, c => c.Method == "CreateRoom" && c.Body["name"]?.GetValue<string>() == club.Voice);
    }

    [Fact]
    public async Task Force_disconnect_hangs_up_the_other_call_on_livekit_and_tells_its_channel()
    {
        var club = await ClubAsync();
        var other = (await club.Owner.Client.PostAsync($"/servers/{club.Server}/channels", "/servers/{server}/channels", new { type = "Voice", name = "Other" })).Body.GetProperty("_id").GetString()!;
        await States.ClaimNodeAsync(other, "worldwide");
        await States.AddAsync(other, InCall(club.Member.Id));

        Assert.Equal(HttpStatusCode.OK, (await JoinAsync(club.Member, club.Voice, new { force_disconnect = true })).Status);
        var removed = await _rooms.WaitForAsync("RemoveParticipant", c => c.Body["room"]?.GetValue<string>() == other);
        Assert.Equal(club.Member.Id, removed.Body["identity"]!.GetValue<string>());
        await _events.WaitForAsync(other, "VoiceChannelLeave", e => e.GetProperty("user").GetString() == club.Member.Id);
        Assert.Empty(await States.ChannelsOfAsync(club.Member.Id));
    }

    [Fact]
    public async Task A_kicked_member_is_removed_from_livekit_and_from_the_call()
    {
        var club = await ClubAsync();
        await States.ClaimNodeAsync(club.Voice, "worldwide");
        await States.AddAsync(club.Voice, InCall(club.Member.Id));

        Assert.Equal(HttpStatusCode.NoContent, (await club.Owner.Client.DeleteAsync($"/servers/{club.Server}/members/{club.Member.Id}", "/servers/{target}/members/{member}")).Status);
        var removed = await _rooms.WaitForAsync("RemoveParticipant", c => c.Body["identity"]?.GetValue<string>() == club.Member.Id);
        Assert.Equal(club.Voice, removed.Body["room"]!.GetValue<string>());
        Assert.True(removed.Grant["roomAdmin"]!.GetValue<bool>());
        await _events.WaitForAsync(club.Voice, "VoiceChannelLeave", e => e.GetProperty("user").GetString() == club.Member.Id);
        Assert.Empty(await States.InChannelAsync(club.Voice));
    }

    [Fact]
    public async Task Permission_changes_reach_the_participants_on_livekit_and_losing_connect_removes_them()
    {
        var club = await ClubAsync();
        await States.ClaimNodeAsync(club.Voice, "worldwide");
        await States.AddAsync(club.Voice, InCall(club.Member.Id));

        await DenyAsync(club, club.Voice, ChannelPermission.Speak);
        var updated = await _rooms.WaitForAsync("UpdateParticipant", c => c.Body["identity"]?.GetValue<string>() == club.Member.Id);
        Assert.Equal(["CAMERA", "SCREEN_SHARE", "SCREEN_SHARE_AUDIO"], updated.Body["permission"]!["can_publish_sources"]!.AsArray().Select(s => s!.GetValue<string>()));

        await DenyAsync(club, club.Voice, ChannelPermission.Connect);
        await _rooms.WaitForAsync("RemoveParticipant", c => c.Body["identity"]?.GetValue<string>() == club.Member.Id);
        await _events.WaitForAsync(club.Voice, "VoiceChannelLeave", e => e.GetProperty("user").GetString() == club.Member.Id);
        Assert.Empty(await States.InChannelAsync(club.Voice));
    }

    [Fact]
    public async Task Ready_and_a_joined_servers_ServerCreate_carry_the_calls_in_progress()
    {
        var club = await ClubAsync();
        var state = InCall(club.Owner.Id);
        await States.AddAsync(club.Voice, state);

        await using var scope = _voiceApi.Services.CreateAsyncScope();
        var ready = await scope.ServiceProvider.GetRequiredService<ConnectionViews>().ReadyAsync(club.Member.Id, ReadyFields.Parse([]), CancellationToken.None);
        var call = Assert.Single(ready!.Payload["voice_states"]!.AsArray());
        Assert.Equal(club.Voice, call!["id"]!.GetValue<string>());
        Assert.Equal(club.Owner.Id, call["participants"]![0]!["id"]!.GetValue<string>());
        Assert.True(call["participants"]![0]!["is_publishing"]!.GetValue<bool>());

        var newcomer = await OnboardedUser.CreateAsync(_voiceApi, "newcomer");
        var invite = (await club.Owner.Client.PostAsync($"/channels/{club.General}/invites", "/channels/{target}/invites")).Body.GetProperty("_id").GetString()!;
        await newcomer.Client.PostAsync($"/invites/{invite}", "/invites/{target}");
        var created = await _events.WaitForAsync(newcomer.Id + "!", "ServerCreate", e => e.GetProperty("id").GetString() == club.Server);
        Assert.Equal(club.Owner.Id, created.GetProperty("voice_states")[0].GetProperty("participants")[0].GetProperty("id").GetString());
    }

    [Fact]
    public async Task The_first_participant_starts_the_call_message_and_the_last_one_closes_it()
    {
        var club = await ClubAsync();
        var bus = _voiceApi.Services.GetRequiredService<IBus>();
        await bus.Publish(new CallStarted(club.Voice, club.Owner.Id, DateTimeOffset.UtcNow));
        var posted = await _events.WaitForAsync(club.Voice, "Message", e => e.TryGetProperty("system", out _));
        Assert.Equal(("call_started", club.Owner.Id), (posted.GetProperty("system").GetProperty("type").GetString(), posted.GetProperty("system").GetProperty("by").GetString()));
        // A repeated command starts nothing new.
        await bus.Publish(new CallStarted(club.Voice, club.Owner.Id, DateTimeOffset.UtcNow));

        await bus.Publish(new CallEnded(club.Voice, DateTimeOffset.UtcNow));
        var closed = await _events.WaitForAsync(club.Voice, "MessageUpdate", e => e.GetProperty("id").GetString() == posted.GetProperty("_id").GetString());
        Assert.Equal("call_started", closed.GetProperty("data").GetProperty("system").GetProperty("type").GetString());
        Assert.True(closed.GetProperty("data").GetProperty("system").TryGetProperty("finished_at", out _));
        var messages = await club.Owner.Client.GetAsync($"/channels/{club.Voice}/messages", "/channels/{target}/messages");
        Assert.Single(messages.Body.EnumerateArray(), m => m.TryGetProperty("system", out _));
    }

    [Fact]
    public async Task A_node_that_is_down_fails_join_call_at_once_with_LiveKitUnavailable_and_changes_nothing()
    {
        // A port nobody listens on: every connection is refused.
        var closed = new TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var port = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        await using var down = WithNode($"http://127.0.0.1:{port}");
        var club = await ClubAsync(on: down);

        var clock = Stopwatch.StartNew();
        var (status, error) = await SendAsync(down, HttpMethod.Post, club.Owner, $"/channels/{club.Voice}/join_call", new { });
        Assert.Equal((HttpStatusCode.BadRequest, "LiveKitUnavailable"), (status, error.GetProperty("type").GetString()));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"join_call took {clock.Elapsed} to give up on a node that refuses connections");
        Assert.Null(await States.NodeAsync(club.Voice));
    }

    [Fact]
    public async Task A_node_that_accepts_connections_but_never_answers_leaves_the_health_report_prompt_and_degraded()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        await using var down = WithNode($"http://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}");
        using var client = down.CreateClient();
        // The first report also starts the host's checks and their connections; the second shows what each report costs.
        (await client.GetAsync("/health")).Dispose();

        var clock = Stopwatch.StartNew();
        using var health = await client.GetAsync("/health");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"/health took {clock.Elapsed} with a silent LiveKit node");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal("Degraded", await health.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Stop_ring_takes_a_rung_user_off_the_ring_of_a_DM_call_its_caller_is_in_and_refuses_anything_else()
    {
        var club = await ClubAsync();
        await club.Owner.Client.PostAsync("/users/friend", "/users/friend", new { username = club.Member.Tag });
        await club.Member.Client.PutAsync($"/users/{club.Owner.Id}/friend", "/users/{target}/friend");
        var dm = (await club.Owner.Client.GetAsync($"/users/{club.Member.Id}/dm", "/users/{target}/dm")).Body.GetProperty("_id").GetString()!;
        Assert.Equal(HttpStatusCode.OK, (await JoinAsync(club.Owner, dm, new { recipients = new[] { club.Member.Id } })).Status);
        var redis = _voiceApi.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
        Assert.True(await redis.SetContainsAsync(VoiceKeys.Ring(dm), club.Member.Id));

        // Not in the call yet (its webhook has not come): nothing changes.
        var (status, error) = await StopRingAsync(club.Owner, dm, club.Member.Id);
        Assert.Equal((HttpStatusCode.BadRequest, "NotConnected"), (status, error.GetProperty("type").GetString()));
        Assert.True(await redis.SetContainsAsync(VoiceKeys.Ring(dm), club.Member.Id));

        await States.AddAsync(dm, InCall(club.Owner.Id));
        // Someone outside the DM cannot see it, let alone stop its ring.
        var outsider = await OnboardedUser.CreateAsync(_voiceApi, "outsider");
        (status, error) = await StopRingAsync(outsider, dm, club.Member.Id);
        Assert.Equal((HttpStatusCode.Forbidden, "MissingPermission"), (status, error.GetProperty("type").GetString()));
        Assert.True(await redis.SetContainsAsync(VoiceKeys.Ring(dm), club.Member.Id));
        (status, error) = await StopRingAsync(club.Owner, dm, "01AAAAAAAAAAAAAAAAAAAAAAAA");
        Assert.Equal((HttpStatusCode.NotFound, "NotFound"), (status, error.GetProperty("type").GetString()));
        (status, error) = await StopRingAsync(club.Owner, club.Voice, club.Member.Id);
        Assert.Equal((HttpStatusCode.BadRequest, "NoEffect"), (status, error.GetProperty("type").GetString()));
        Assert.True(await redis.SetContainsAsync(VoiceKeys.Ring(dm), club.Member.Id));

        Assert.Equal(HttpStatusCode.NoContent, (await StopRingAsync(club.Owner, dm, club.Member.Id)).Status);
        Assert.False(await redis.SetContainsAsync(VoiceKeys.Ring(dm), club.Member.Id));
    }

    [Fact]
    public async Task The_root_document_lists_the_single_node_as_worldwide_and_voice_is_off_without_one()
    {
        var on = await new StoatSession(_voiceApi.CreateClient()).GetAsync("/", "/");
        var node = Assert.Single(on.Body.GetProperty("features").GetProperty("livekit").GetProperty("nodes").EnumerateArray());
        Assert.Equal(("worldwide", "wss://chat.example.com/livekit"), (node.GetProperty("name").GetString(), node.GetProperty("public_url").GetString()));
        Assert.True(on.Body.GetProperty("features").GetProperty("livekit").GetProperty("enabled").GetBoolean());
        var off = await new StoatSession(api.Factory.CreateClient()).GetAsync("/", "/");
        Assert.False(off.Body.GetProperty("features").GetProperty("livekit").GetProperty("enabled").GetBoolean());
    }
}
