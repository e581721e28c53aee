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

/// <summary>
/// Who acts: the onboarded user behind <c>X-Session-Token</c>, or a bot by its <c>X-Bot-Token</c> (with no
/// session). A session whose account has no user yet is refused.
/// </summary>
public sealed record CurrentUser(Session? Session, User User)
{
    public const string BotTokenHeader = "X-Bot-Token";

    public static async ValueTask<CurrentUser> BindAsync(HttpContext context)
    {
        var users = context.RequestServices.GetRequiredService<IUserStore>();
        var botToken = context.Request.Headers[BotTokenHeader].ToString();
        if (botToken.Length > 0 && context.Request.Headers[CurrentSession.Header].Count == 0)
        {
            // The rate limiter may have looked the bot up already.
            var bot = context.Items.TryGetValue(typeof(Bot), out var known) && known is Bot found && found.Token == botToken
                ? found
                : await context.RequestServices.GetRequiredService<IBotStore>().FindByTokenAsync(botToken, context.RequestAborted);
            var botUser = bot is null ? null : await users.GetAsync(bot.Id, context.RequestAborted);
            return new CurrentUser(null, botUser ?? throw StoatException.InvalidSession());
        }
        var session = (await CurrentSession.BindAsync(context)).Session;
        var user = await users.GetAsync(session.UserId, context.RequestAborted);
        return new CurrentUser(session, user ?? throw StoatException.InvalidSession());
    }

    /// <summary>What only people may do (make servers, groups, friends or bots, join by invite) is refused to bots with <c>IsBot</c>.</summary>
    public User Human => User.IsBot ? throw StoatException.IsBot() : User;
}
