using System.Text;
using MessagePack;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Spokes.Events.Connections;
using Spokes.Events.Fanout;
using Spokes.Events.Protocol;

namespace Spokes.Events.Tests;

public sealed class ProtocolTests
{
    private static IQueryCollection Query(params (string Key, string[] Values)[] pairs) =>
        new QueryCollection(pairs.ToDictionary(p => p.Key, p => new StringValues(p.Values)));

    [Fact]
    public void Connection_parameters_default_to_version_1_json_and_Stoats_ready_fields()
    {
        var (parameters, error) = ConnectionParameters.Parse(Query());
        Assert.Null(error);
        Assert.Equal(new ConnectionParameters(1, WireFormat.Json, null, []), parameters! with { ReadyFields = [] });

        (parameters, _) = ConnectionParameters.Parse(Query(("format", ["msgpack"]), ("token", ["t"]), ("ready", ["users", "user_settings[ordering]"])));
        Assert.Equal(WireFormat.MessagePack, parameters!.Format);
        Assert.Equal("t", parameters.Token);
        Assert.Equal(["users", "user_settings[ordering]"], parameters.ReadyFields);
    }

    [Theory]
    [InlineData("version", "2")]
    [InlineData("format", "xml")]
    [InlineData("ready", "secrets")]
    public void Unknown_connection_parameters_are_refused_with_a_reason(string key, string value)
    {
        var (parameters, error) = ConnectionParameters.Parse(Query((key, [value])));
        Assert.Null(parameters);
        Assert.Contains(value, error);
    }

    [Fact]
    public void Client_messages_read_the_same_from_JSON_and_MessagePack()
    {
        foreach (var (json, expected) in new (string, ClientMessage)[]
        {
            ("""{"type":"Authenticate","token":"abc"}""", new AuthenticateMessage("abc")),
            ("""{"type":"BeginTyping","channel":"C"}""", new BeginTypingMessage("C")),
            ("""{"type":"EndTyping","channel":"C"}""", new EndTypingMessage("C")),
            ("""{"type":"Subscribe","server_id":"S"}""", new SubscribeMessage("S")),
        })
        {
            Assert.Equal(expected, ClientMessages.Parse(Encoding.UTF8.GetBytes(json), WireFormat.Json));
            Assert.Equal(expected, ClientMessages.Parse(MessagePackSerializer.ConvertFromJson(json), WireFormat.MessagePack));
        }
    }

    [Fact]
    public void A_Ping_is_answered_with_its_data_exactly_as_sent()
    {
        var ping = Assert.IsType<PingMessage>(ClientMessages.Parse("""{"type":"Ping","data":1700000000000}"""u8, WireFormat.Json));
        Assert.Equal("""{"type":"Pong","data":1700000000000}""", Encoding.UTF8.GetString(ServerFrame.Pong(ping.Data, WireFormat.Json).Payload(WireFormat.Json).Span));

        var packed = MessagePackSerializer.Serialize(new Dictionary<string, object> { ["type"] = "Ping", ["data"] = new byte[] { 1, 2, 3 } });
        ping = Assert.IsType<PingMessage>(ClientMessages.Parse(packed, WireFormat.MessagePack));
        var pong = MessagePackSerializer.Deserialize<Dictionary<string, object>>(ServerFrame.Pong(ping.Data, WireFormat.MessagePack).Payload(WireFormat.MessagePack));
        Assert.Equal("Pong", pong["type"]);
        Assert.Equal(new byte[] { 1, 2, 3 }, pong["data"]);
    }

    [Theory]
    [InlineData("not json", "not JSON")]
    [InlineData("[1,2]", "JSON object")]
    [InlineData("""{"type":"Dance"}""", "unknown variant `Dance`")]
    [InlineData("""{"channel":"C"}""", "missing field `type`")]
    [InlineData("""{"type":"BeginTyping"}""", "missing field `channel`")]
    [InlineData("""{"type":"Ping"}""", "missing field `data`")]
    [InlineData("""{"type":"Ping","data":1}{}""", "not JSON")]
    public void Malformed_messages_say_what_is_wrong(string frame, string reason)
    {
        var error = Assert.Throws<MalformedMessageException>(() => ClientMessages.Parse(Encoding.UTF8.GetBytes(frame), WireFormat.Json));
        Assert.Contains(reason, error.Reason);
    }

    [Fact]
    public void Malformed_MessagePack_is_refused()
    {
        Assert.Throws<MalformedMessageException>(() => ClientMessages.Parse([0x81, 0xa4], WireFormat.MessagePack));
        Assert.Throws<MalformedMessageException>(() => ClientMessages.Parse(MessagePackSerializer.Serialize(new[] { 1, 2 }), WireFormat.MessagePack));
    }

    [Fact]
    public void The_event_type_is_read_without_parsing_the_rest()
    {
        Assert.Equal("Message", EventRouter.ReadType("""{"type":"Message","_id":"x","embeds":[{"type":"Website"}]}"""u8));
        Assert.Equal("Message", EventRouter.ReadType("""{"_id":"x","nested":{"type":"no"},"type":"Message"}"""u8));
        Assert.Null(EventRouter.ReadType("""{"_id":"x"}"""u8));
        Assert.Null(EventRouter.ReadType("garbage"u8));
    }
}

public sealed class SubscriptionStateTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    private static SubscriptionState Started(bool isBot = false, bool isPrivileged = false)
    {
        var state = new SubscriptionState("me", isBot);
        state.Start(["friend"], new Dictionary<string, IReadOnlyCollection<string>> { ["S1"] = ["c1", "c2"], ["S2"] = ["c3"] }, ["dm"], isPrivileged);
        return state;
    }

    [Fact]
    public void A_connection_starts_on_its_private_topic_known_users_servers_and_visible_channels()
    {
        Assert.Equal(new[] { "me!", "me", "friend", "dm", "S1", "c1", "c2", "S2", "c3" }.Order(), Started().Topics.Order());
        Assert.Contains(SubscriptionState.ModerationTopic, Started(isPrivileged: true).Topics);
        // Bots get every server's member updates without asking.
        Assert.Contains("S1u", Started(isBot: true).Topics);
    }

    [Fact]
    public void A_new_view_of_a_server_says_which_channels_appeared_and_which_went()
    {
        var state = Started();
        var change = state.ShowChannels("S1", ["c2", "c4"]);
        Assert.Equal(["c4"], change.Added);
        Assert.Equal(["c1"], change.Removed);
        Assert.Equal(["c2", "c4"], state.ChannelsOf("S1").Order());
        Assert.True(state.ShowChannels("S1", ["c4", "c2"]).IsEmpty);
    }

    [Fact]
    public void Joining_a_server_again_drops_the_channels_no_longer_visible()
    {
        var state = Started();
        var change = state.JoinServer("S1", ["c2"]);
        Assert.Empty(change.Added);
        Assert.Equal(["c1"], change.Removed);
        Assert.DoesNotContain("c1", state.Topics);
        Assert.Equal(["c2"], state.ChannelsOf("S1"));
    }

    [Fact]
    public void Leaving_a_server_drops_its_topics_and_channels()
    {
        var state = Started();
        state.SubscribeMembers("S1", Now, 5, TimeSpan.FromMinutes(15));
        var change = state.LeaveServer("S1");
        Assert.Equal(new[] { "S1", "S1u", "c1", "c2" }.Order(), change.Removed.Order());
        Assert.False(state.InServer("S1"));
        Assert.True(state.LeaveServer("S1").IsEmpty);
    }

    [Fact]
    public void Member_subscriptions_are_a_bounded_LRU_that_expires()
    {
        var state = new SubscriptionState("me", isBot: false);
        var servers = Enumerable.Range(1, 6).Select(i => $"S{i}").ToList();
        state.Start([], servers.ToDictionary(s => s, _ => (IReadOnlyCollection<string>)[]), [], false);

        foreach (var server in servers.Take(5)) state.SubscribeMembers(server, Now, 5, TimeSpan.FromMinutes(15));
        // S1 asked again: S2 is now the least recent and makes room for S6.
        state.SubscribeMembers("S1", Now.AddMinutes(1), 5, TimeSpan.FromMinutes(15));
        var change = state.SubscribeMembers("S6", Now.AddMinutes(2), 5, TimeSpan.FromMinutes(15));
        Assert.Equal(["S6u"], change.Added);
        Assert.Equal(["S2u"], change.Removed);

        var expired = state.ExpireMemberSubscriptions(Now.AddMinutes(15.5));
        Assert.Equal(new[] { "S3u", "S4u", "S5u" }.Order(), expired.Removed.Order());
        Assert.Contains("S1u", state.Topics);
        Assert.Contains("S6u", state.Topics);
    }

    [Fact]
    public void Only_servers_the_user_is_in_can_be_subscribed_to()
    {
        var state = Started();
        Assert.True(state.SubscribeMembers("elsewhere", Now, 5, TimeSpan.FromMinutes(15)).IsEmpty);
        Assert.DoesNotContain("elsewhereu", state.Topics);
    }
}
