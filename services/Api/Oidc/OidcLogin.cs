using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Spokes.Api.Configuration;
using Spokes.Api.Identity;
using Spokes.Api.Models;
using Spokes.Api.Setup;
using Spokes.Api.Storage;
using StackExchange.Redis;

namespace Spokes.Api.Oidc;

/// <summary>
/// Logins through the operator's OpenID provider. A login's <c>state</c>, <c>nonce</c> and PKCE verifier wait in
/// Redis (one use, ten minutes), bound to the browser that started it by a cookie; the callback provisions the
/// account on first use, linked by (issuer, subject) only, and issues a Spokes session as a password login does.
/// The browser gets a one-time handoff code that a Stoat client exchanges for that session.
/// </summary>
public sealed class OidcLogin(
    IConnectionMultiplexer redis,
    OidcClient client,
    SetupState setup,
    IExternalIdentityStore identities,
    IAccountStore accounts,
    ISessionStore sessions,
    IOptions<ApiOptions> api,
    DemoMode demo,
    TimeProvider clock,
    ILogger<OidcLogin> logger)
{
    public const string BrowserCookie = "spokes_oidc";
    private static readonly TimeSpan PendingLifetime = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan HandoffLifetime = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan ProofLifetime = TimeSpan.FromMinutes(30);

    private sealed record Pending(string Nonce, string Verifier, string BrowserHash, bool Test, OidcProvider Provider);

    public string RedirectUri => (setup.Current.Network.PublicUrl ?? api.Value.PublicUrl).TrimEnd('/') + "/auth/oidc/callback";

    public OidcProvider? ConfiguredProvider => setup.Current.Identity is { Mode: IdentityMode.Oidc, Oidc: { } provider } ? provider : null;

    public Task<string> BeginLoginAsync(HttpContext context, CancellationToken cancellationToken) =>
        BeginAsync(context, ConfiguredProvider ?? throw new OidcLoginException("This server has no external identity provider."), test: false, cancellationToken);

    /// <summary>A login that only proves <paramref name="provider"/>'s settings (the wizard's and admin page's "test login").</summary>
    public Task<string> BeginTestAsync(HttpContext context, OidcProvider provider, CancellationToken cancellationToken) =>
        BeginAsync(context, provider, test: true, cancellationToken);

    private async Task<string> BeginAsync(HttpContext context, OidcProvider provider, bool test, CancellationToken cancellationToken)
    {
        var configuration = await client.DiscoverAsync(provider, cancellationToken);
        var browser = context.Request.Cookies[BrowserCookie] is { Length: 43 } existing ? existing : SecureTokens.NewToken(43);
        WebPage.SetCookie(context, BrowserCookie, browser, SameSiteMode.Lax, "/auth/oidc", PendingLifetime);
        var state = SecureTokens.NewToken(43);
        var pending = new Pending(SecureTokens.NewToken(43), SecureTokens.NewToken(64), Hash(browser), test, provider);
        await redis.GetDatabase().StringSetAsync(PendingKey(state), JsonSerializer.Serialize(pending), PendingLifetime);
        return OidcClient.AuthorizationUrl(configuration, provider, RedirectUri, state, pending.Nonce, pending.Verifier);
    }

    public sealed record Outcome(bool Test, string Subject, string? Email, string? Name, string? HandoffCode);

    /// <summary>
    /// The provider's redirect back. The state is used up whatever happens next, so a login can be tried once; a
    /// state this server never issued, or one started by another browser, is refused.
    /// </summary>
    public async Task<Outcome> CompleteAsync(HttpContext context, string? state, string? code, string? error, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(state) || state.Length > 128) throw new OidcLoginException("This login was not started here (no valid state).");
        var stored = await redis.GetDatabase().StringGetDeleteAsync(PendingKey(state));
        if (stored.IsNullOrEmpty) throw new OidcLoginException("This login was not started here, or it expired (unknown state).");
        var pending = JsonSerializer.Deserialize<Pending>(stored.ToString())!;
        var browser = context.Request.Cookies[BrowserCookie];
        if (browser is null || !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Hash(browser)), Encoding.ASCII.GetBytes(pending.BrowserHash)))
            throw new OidcLoginException("This login was started in another browser.");
        if (error is not null) throw new OidcLoginException("The identity provider refused the login.");
        if (string.IsNullOrEmpty(code)) throw new OidcLoginException("The identity provider sent no login code.");

        var configuration = await client.DiscoverAsync(pending.Provider, cancellationToken);
        var (subject, email, name) = await client.RedeemAsync(configuration, pending.Provider, code, pending.Verifier, RedirectUri, pending.Nonce, cancellationToken);
        if (pending.Test)
        {
            await redis.GetDatabase().StringSetAsync(ProofKey(pending.Provider), "1", ProofLifetime);
            return new Outcome(true, subject, email, name, null);
        }
        // A login with a provider the operator has since replaced is not honoured.
        if (ConfiguredProvider is not { } current || current != pending.Provider) throw new OidcLoginException("The identity provider's settings changed during this login.");
        var session = await SignInAsync(current.Issuer, subject, cancellationToken);
        var handoff = SecureTokens.NewToken(43);
        var success = new LoginSuccess(session.Id, session.UserId, session.Token, session.Name, session.LastSeen.UtcDateTime.ToString("O"));
        await redis.GetDatabase().StringSetAsync(HandoffKey(handoff), JsonSerializer.Serialize(success), HandoffLifetime);
        return new Outcome(false, subject, email, name, handoff);
    }

    /// <summary>Whether a test login with exactly these settings succeeded lately: only then may they be saved.</summary>
    public async Task<bool> IsProvenAsync(OidcProvider provider, CancellationToken cancellationToken) =>
        await redis.GetDatabase().KeyExistsAsync(ProofKey(provider));

    /// <summary>The session a handoff code stands for, once; null for an unknown, used or expired code.</summary>
    public async Task<LoginSuccess?> ExchangeAsync(string? code)
    {
        if (string.IsNullOrEmpty(code) || code.Length > 128) return null;
        var stored = await redis.GetDatabase().StringGetDeleteAsync(HandoffKey(code));
        return stored.IsNullOrEmpty ? null : JsonSerializer.Deserialize<LoginSuccess>(stored.ToString());
    }

    /// <summary>
    /// The account linked to the identity, made on its first login. The link is written before the account, so two
    /// first logins at once end in one account. The account's address is a placeholder of its own: an address the
    /// provider states is never used to reach or to match an existing account.
    /// </summary>
    private async Task<Session> SignInAsync(string issuer, string subject, CancellationToken cancellationToken)
    {
        var accountId = await identities.FindAccountAsync(issuer, subject, cancellationToken);
        if (accountId is null)
        {
            if (!await demo.HasRoomForAccountAsync(cancellationToken))
                throw new OidcLoginException($"This server runs in demo mode, which allows {DemoMode.Accounts} accounts: no new account can be made.");
            var id = SecureTokens.NewId();
            if (await identities.LinkAsync(issuer, subject, id, cancellationToken))
            {
                var address = $"{id.ToLowerInvariant()}@oidc.invalid";
                await accounts.CreateAsync(new Account(id, address, address, PasswordHash: "", Disabled: false, clock.GetUtcNow(),
                    EmailVerification.Done, MultiFactor.None), cancellationToken);
                logger.LogInformation("Account {AccountId} provisioned for an external identity", id);
                accountId = id;
            }
            else
            {
                accountId = await identities.FindAccountAsync(issuer, subject, cancellationToken);
            }
        }
        var account = await accounts.GetAsync(accountId!, cancellationToken) ?? throw new OidcLoginException("The linked account no longer exists.");
        if (account.Disabled || account.Deletion is not null) throw new OidcLoginException("This account is disabled.");
        var session = new Session(SecureTokens.NewId(), account.Id, SecureTokens.NewToken(), "OpenID Connect login", clock.GetUtcNow());
        await sessions.CreateAsync(session, cancellationToken);
        return session;
    }

    private static string PendingKey(string state) => "oidc:pending:" + Hash(state);
    private static string HandoffKey(string code) => "oidc:handoff:" + Hash(code);
    private static string ProofKey(OidcProvider provider) => "oidc:proven:" + Hash(provider.Issuer + "\n" + provider.ClientId + "\n" + provider.ClientSecret);
    private static string Hash(string value) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(value)));
}
