using System.Net.WebSockets;
using Grpc.Core;
using Microsoft.Extensions.Options;
using Spokes.Contracts.Connections.V1;
using Spokes.Contracts.Sessions.V1;
using Spokes.Events.Fanout;
using Spokes.Events.Presence;
using Spokes.Events.Protocol;
using ConnectionsClient = Spokes.Contracts.Connections.V1.Connections.ConnectionsClient;
using SessionsClient = Spokes.Contracts.Sessions.V1.Sessions.SessionsClient;

namespace Spokes.Events.Connections;

/// <summary>
/// Stoat's handshake: the socket authenticates (query <c>token</c> or an <c>Authenticate</c> message), receives
/// <c>Authenticated</c> and <c>Ready</c>, is counted online, and then receives its topics' events until it closes.
/// Refusals are Stoat's <c>Error</c> messages followed by a close.
/// </summary>
public sealed class ConnectionHandler(
    TopicHub hub,
    SessionsClient sessions,
    ConnectionsClient connections,
    PresenceTracker presence,
    PresenceAnnouncer announcer,
    RedisEvents redis,
    IOptions<EventsOptions> options,
    TimeProvider clock,
    IHostApplicationLifetime lifetime,
    ILogger<ConnectionHandler> logger)
{
    private static readonly TimeSpan ApiDeadline = TimeSpan.FromSeconds(15);
    private long _socketIds;

    public async Task HandleAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status426UpgradeRequired;
            context.Response.Headers.Upgrade = "websocket";
            await context.Response.WriteAsJsonAsync(new { type = "MalformedData", msg = "connect with a WebSocket: ?version=1&format=json&token=…" });
            return;
        }
        var settings = options.Value;
        var (parameters, parameterError) = ConnectionParameters.Parse(context.Request.Query);
        using var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext { KeepAliveInterval = settings.KeepAliveInterval });
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
        if (parameters is null)
        {
            await RefuseAsync(socket, WireFormat.Json, ServerFrame.Error("MalformedData", ("msg", parameterError)));
            return;
        }

        var opened = await OpenAsync(socket, parameters, settings, stopping.Token);
        if (opened is not var (connection, socketId, invisible)) return;
        try
        {
            await connection.RunAsync(stopping.Token);
        }
        finally
        {
            connection.Unregister();
            await GoOfflineAsync(connection, socketId, invisible);
        }
    }

    /// <summary>
    /// Authenticates the socket, sends Authenticated and Ready, and subscribes it; null (after an error to the
    /// client) if it is refused. Its own method so that Ready, often kilobytes, is not kept for the socket's life.
    /// </summary>
    private async Task<(ClientConnection Connection, string SocketId, bool Invisible)?> OpenAsync(WebSocket socket, ConnectionParameters parameters,
        EventsOptions settings, CancellationToken cancellationToken)
    {
        var format = parameters.Format;
        var token = parameters.Token ?? await ReadAuthenticateAsync(socket, format, settings, cancellationToken);
        if (token is null)
        {
            await RefuseAsync(socket, format, ServerFrame.Error("InvalidSession"));
            return null;
        }

        AuthenticateReply auth;
        ReadyReply ready;
        try
        {
            auth = await sessions.AuthenticateAsync(new AuthenticateRequest { Token = token }, deadline: Deadline(), cancellationToken: cancellationToken);
            var request = new ReadyRequest { UserId = auth.UserId };
            request.Fields.AddRange(parameters.ReadyFields);
            ready = await connections.ReadyAsync(request, deadline: Deadline(), cancellationToken: cancellationToken);
        }
        catch (RpcException e)
        {
            var error = e.StatusCode switch
            {
                StatusCode.NotFound => ServerFrame.Error("InvalidSession"),
                StatusCode.FailedPrecondition => ServerFrame.Error("OnboardingNotFinished"),
                _ => ServerFrame.Error("InternalError", ("at", "events: the Api did not answer")),
            };
            if (e.StatusCode is not (StatusCode.NotFound or StatusCode.FailedPrecondition or StatusCode.Cancelled))
                logger.LogWarning("A socket was refused: the Api answered {Status}", e.Status);
            await RefuseAsync(socket, format, error);
            return null;
        }

        var socketId = Interlocked.Increment(ref _socketIds).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var connection = new ClientConnection(socket, format, auth.UserId, auth.SessionId.Length == 0 ? null : auth.SessionId, auth.IsBot,
            new ConnectionContext(hub, settings, redis, clock, logger));
        bool cameOnline;
        try
        {
            cameOnline = await presence.AddAsync(auth.UserId, socketId);
        }
        catch (Exception e) when (e is StackExchange.Redis.RedisException or TimeoutException)
        {
            logger.LogWarning("A socket was refused: presence could not be recorded ({Error})", e.Message);
            await RefuseAsync(socket, format, ServerFrame.Error("InternalError", ("at", "events: presence is unavailable; reconnect")));
            return null;
        }

        connection.Deliver(ServerFrame.Authenticated);
        connection.Deliver(ServerFrame.FromJson(ready.ReadyJson.ToByteArray()));
        hub.Register(connection);
        foreach (var server in ready.Servers) hub.RememberChannels(server.ServerId, server.ChannelIds);
        connection.Start(ready.UserIds,
            ready.Servers.ToDictionary(s => s.ServerId, s => (IReadOnlyCollection<string>)s.VisibleChannelIds),
            ready.PrivateChannelIds, ready.IsPrivileged);
        if (cameOnline && !ready.Invisible) await announcer.AnnounceAsync(auth.UserId, online: true, connection.Servers);
        return (connection, socketId, ready.Invisible);
    }

    /// <summary>As in Stoat, whether the user looks Invisible is taken as it was when the socket opened.</summary>
    private async Task GoOfflineAsync(ClientConnection connection, string socketId, bool invisible)
    {
        try
        {
            if (await presence.RemoveAsync(connection.UserId, socketId) && !invisible)
                await announcer.AnnounceAsync(connection.UserId, online: false, connection.Servers);
        }
        catch (Exception e) when (e is StackExchange.Redis.RedisException or TimeoutException)
        {
            // Redis lost it anyway (it restarted) or will once the heartbeat of this node lapses.
            logger.LogWarning("Presence of {User} could not be cleared: {Error}", connection.UserId, e.Message);
        }
    }

    /// <summary>The token of the first message, which must be <c>Authenticate</c>; null if none comes in time.</summary>
    private static async Task<string?> ReadAuthenticateAsync(WebSocket socket, WireFormat format, EventsOptions settings, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(settings.AuthenticateTimeout);
        try
        {
            var frame = await FrameReader.ReadAsync(socket, new byte[1024], settings.MaxClientFrameBytes, timeout.Token);
            try
            {
                return frame.Outcome == FrameOutcome.Message && ClientMessages.Parse(frame.Data.Span, format) is AuthenticateMessage authenticate
                    ? authenticate.Token
                    : null;
            }
            finally
            {
                frame.Release();
            }
        }
        catch (Exception e) when (e is MalformedMessageException or OperationCanceledException or WebSocketException)
        {
            return null;
        }
    }

    private static async Task RefuseAsync(WebSocket socket, WireFormat format, ServerFrame error)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            if (socket.State != WebSocketState.Open) return;
            await socket.SendAsync(error.Payload(format), ServerFrame.MessageType(format), endOfMessage: true, timeout.Token);
            await socket.CloseOutputAsync(WebSocketCloseStatus.PolicyViolation, "refused", timeout.Token);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            socket.Abort();
        }
    }

    private static DateTime Deadline() => DateTime.UtcNow + ApiDeadline;
}
