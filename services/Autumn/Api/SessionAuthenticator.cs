using Grpc.Core;
using Spokes.Autumn.Files;
using Spokes.Contracts.Sessions.V1;

namespace Spokes.Autumn.Api;

/// <summary>Turns the token of an upload into its user, asking the Api (which owns sessions).</summary>
public interface ISessionAuthenticator
{
    /// <summary>The user id; NotAuthenticated without a token, InvalidSession for one the Api does not know.</summary>
    Task<string> AuthenticateAsync(HttpRequest request, CancellationToken cancellationToken);
}

/// <summary>Stoat's headers: <c>X-Session-Token</c> for users, <c>X-Bot-Token</c> for bots, resolved by the Api's gRPC Sessions service.</summary>
public sealed class ApiSessionAuthenticator(Sessions.SessionsClient sessions) : ISessionAuthenticator
{
    public async Task<string> AuthenticateAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var (token, kind) = request.Headers["X-Session-Token"].ToString() is { Length: > 0 } session
            ? (session, TokenKind.Session)
            : (request.Headers["X-Bot-Token"].ToString(), TokenKind.Bot);
        if (token.Length == 0) throw AutumnErrors.NotAuthenticated();
        try
        {
            var reply = await sessions.AuthenticateAsync(new AuthenticateRequest { Token = token, Kind = kind }, cancellationToken: cancellationToken);
            return reply.UserId;
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            throw AutumnErrors.InvalidSession();
        }
    }
}
