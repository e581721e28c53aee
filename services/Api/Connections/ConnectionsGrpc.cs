using System.Text.Json;
using Google.Protobuf;
using Grpc.Core;
using Spokes.Api.Storage;
using Spokes.Contracts.Connections.V1;
using Spokes.Contracts.Sessions.V1;

namespace Spokes.Api.Connections;

/// <summary>Turns a WebSocket's token into a user for the Events service; the Api alone reads sessions and bots.</summary>
public sealed class SessionsGrpc(ISessionStore sessions, IBotStore bots, IUserStore users) : Sessions.SessionsBase
{
    public override async Task<AuthenticateReply> Authenticate(AuthenticateRequest request, ServerCallContext context)
    {
        var cancellationToken = context.CancellationToken;
        if (request.Token.Length == 0) throw new RpcException(new Status(StatusCode.NotFound, "InvalidSession"));

        if (request.Kind != TokenKind.Bot && await sessions.FindByTokenAsync(request.Token, cancellationToken) is { } session)
        {
            // An account that has not chosen a username yet has no user to connect as.
            if (await users.GetAsync(session.UserId, cancellationToken) is null)
                throw new RpcException(new Status(StatusCode.FailedPrecondition, "OnboardingNotFinished"));
            return new AuthenticateReply { UserId = session.UserId, SessionId = session.Id };
        }
        if (request.Kind != TokenKind.Session && await bots.FindByTokenAsync(request.Token, cancellationToken) is { } bot
            && await users.GetAsync(bot.Id, cancellationToken) is { } botUser)
        {
            return new AuthenticateReply { UserId = botUser.Id, IsBot = true };
        }
        throw new RpcException(new Status(StatusCode.NotFound, "InvalidSession"));
    }
}

/// <summary>Ready payloads and server views for the Events service, computed by <see cref="ConnectionViews"/>.</summary>
public sealed class ConnectionsGrpc(ConnectionViews views) : Contracts.Connections.V1.Connections.ConnectionsBase
{
    public override async Task<ReadyReply> Ready(ReadyRequest request, ServerCallContext context)
    {
        var view = await views.ReadyAsync(request.UserId, ReadyFields.Parse(request.Fields), context.CancellationToken)
            ?? throw new RpcException(new Status(StatusCode.NotFound, "unknown user"));
        var reply = new ReadyReply
        {
            ReadyJson = ByteString.CopyFromUtf8(view.Payload.ToJsonString()),
            IsBot = view.IsBot,
            IsPrivileged = view.IsPrivileged,
            Invisible = view.Invisible,
        };
        reply.UserIds.AddRange(view.UserIds);
        foreach (var membership in view.Servers)
        {
            var server = new ServerMembership { ServerId = membership.ServerId };
            server.ChannelIds.AddRange(membership.ChannelIds);
            server.VisibleChannelIds.AddRange(membership.VisibleChannelIds);
            reply.Servers.Add(server);
        }
        reply.PrivateChannelIds.AddRange(view.PrivateChannelIds);
        return reply;
    }

    public override async Task<ServerViewReply> ServerView(ServerViewRequest request, ServerCallContext context)
    {
        var reply = new ServerViewReply();
        if (await views.ServerViewAsync(request.ServerId, request.UserIds, context.CancellationToken) is not { } view)
        {
            reply.Members.AddRange(request.UserIds.Distinct().Select(id => new Contracts.Connections.V1.MemberView { UserId = id }));
            return reply;
        }
        reply.Exists = true;
        reply.Channels.AddRange(view.Channels.Select(c => new ServerChannel
        {
            Id = c.Id,
            ChannelJson = ByteString.CopyFromUtf8(JsonSerializer.Serialize<Channel>(c, StoatJson.Options)),
        }));
        foreach (var member in view.Members)
        {
            var entry = new Contracts.Connections.V1.MemberView { UserId = member.UserId, IsMember = member.IsMember };
            entry.VisibleChannelIds.AddRange(member.VisibleChannelIds);
            reply.Members.Add(entry);
        }
        return reply;
    }
}
