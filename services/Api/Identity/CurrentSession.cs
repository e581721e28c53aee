using Spokes.Api.Errors;
using Spokes.Api.Storage;

namespace Spokes.Api.Identity;

/// <summary>
/// The session behind <c>X-Session-Token</c>, bound as a handler parameter: a route that takes one is
/// authenticated. No header gives <c>NotAuthenticated</c>, an unknown or revoked token <c>InvalidSession</c>.
/// </summary>
public sealed record CurrentSession(Session Session)
{
    public const string Header = "X-Session-Token";

    public static async ValueTask<CurrentSession> BindAsync(HttpContext context)
    {
        var token = context.Request.Headers[Header].ToString();
        if (token.Length == 0) throw StoatException.NotAuthenticated();
        // The rate limiter may have looked the session up already.
        var session = context.Items.TryGetValue(typeof(Session), out var known) && known is Session found && found.Token == token
            ? found
            : await context.RequestServices.GetRequiredService<ISessionStore>().FindByTokenAsync(token, context.RequestAborted);
        return new CurrentSession(session ?? throw StoatException.InvalidSession());
    }
}

/// <summary>The onboarded user behind the session: a session whose account has no user yet is refused.</summary>
public sealed record CurrentUser(Session Session, User User)
{
    public static async ValueTask<CurrentUser> BindAsync(HttpContext context)
    {
        var session = (await CurrentSession.BindAsync(context)).Session;
        var user = await context.RequestServices.GetRequiredService<IUserStore>().GetAsync(session.UserId, context.RequestAborted);
        return new CurrentUser(session, user ?? throw StoatException.InvalidSession());
    }
}
