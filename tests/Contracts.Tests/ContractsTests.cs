using Google.Protobuf;
using Spokes.Contracts.IntegrationEvents;
using Spokes.Contracts.Sessions.V1;
using SessionsService = Spokes.Contracts.Sessions.V1.Sessions;

namespace Spokes.Contracts.Tests;

public class ContractsTests
{
    [Fact]
    public void Session_messages_survive_the_wire()
    {
        var request = new AuthenticateRequest { Token = "session-token", Kind = TokenKind.Session };
        Assert.Equal(request, AuthenticateRequest.Parser.ParseFrom(request.ToByteArray()));
        var reply = new AuthenticateReply { UserId = "01HZXYZ", SessionId = "01HZABC", IsBot = false };
        Assert.Equal(reply, AuthenticateReply.Parser.ParseFrom(reply.ToByteArray()));
    }

    [Fact]
    public void The_sessions_service_is_generated_for_servers_and_clients()
    {
        Assert.Equal("spokes.sessions.v1.Sessions", SessionsService.Descriptor.FullName);
        Assert.NotNull(typeof(SessionsService.SessionsBase).GetMethod(nameof(SessionsService.SessionsBase.Authenticate)));
        Assert.NotNull(typeof(SessionsService.SessionsClient).GetMethod(nameof(SessionsService.SessionsClient.AuthenticateAsync), [typeof(AuthenticateRequest), typeof(Grpc.Core.CallOptions)]));
    }

    private sealed record SomethingHappened(string What) : IntegrationEvent;

    [Fact]
    public async Task Integration_events_carry_a_unique_time_ordered_id_and_their_creation_time()
    {
        var before = DateTimeOffset.UtcNow;
        var first = new SomethingHappened("a");
        // Version 7 ids order by their millisecond; within one millisecond the rest is random.
        await Task.Delay(2);
        var second = new SomethingHappened("b");
        Assert.NotEqual(first.Id, second.Id);
        Assert.Equal(7, first.Id.Version);
        Assert.True(first.Id.CompareTo(second.Id) < 0, "ids must sort in creation order");
        Assert.InRange(first.CreatedAt, before, DateTimeOffset.UtcNow);
    }
}
