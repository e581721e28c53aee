using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;
using Spokes.Api.Setup;

namespace Spokes.Api.Oidc;

/// <summary>A login through the external provider that cannot be accepted; the message is shown to the person logging in.</summary>
public sealed class OidcLoginException(string message) : Exception(message);

/// <summary>
/// The relying party's side of the authorization code flow with PKCE: discovery and JWKS (refreshed by
/// Microsoft.IdentityModel's configuration manager), the code redeemed at the token endpoint, the ID token's
/// signature, issuer, audience, lifetime and nonce checked. The provider is the operator's choice; its calls still
/// have a timeout.
/// </summary>
public sealed class OidcClient(IHttpClientFactory httpClients)
{
    public const string HttpClientName = "oidc";

    private readonly ConcurrentDictionary<string, ConfigurationManager<OpenIdConnectConfiguration>> _discovery = new();
    private readonly JsonWebTokenHandler _tokens = new();

    public async Task<OpenIdConnectConfiguration> DiscoverAsync(OidcProvider provider, CancellationToken cancellationToken)
    {
        var issuer = provider.Issuer.TrimEnd('/');
        var manager = _discovery.GetOrAdd(issuer, _ => new ConfigurationManager<OpenIdConnectConfiguration>(
            issuer + "/.well-known/openid-configuration", new OpenIdConnectConfigurationRetriever(),
            new HttpDocumentRetriever(httpClients.CreateClient(HttpClientName)) { RequireHttps = issuer.StartsWith("https:", StringComparison.Ordinal) }));
        OpenIdConnectConfiguration configuration;
        try
        {
            configuration = await manager.GetConfigurationAsync(cancellationToken);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or HttpRequestException or ArgumentException)
        {
            _discovery.TryRemove(issuer, out _);
            throw new OidcLoginException("The identity provider's discovery document could not be read.");
        }
        // The document must speak for the issuer the operator configured, not for another one.
        if (configuration.Issuer?.TrimEnd('/') != issuer) throw new OidcLoginException("The identity provider names another issuer than the configured one.");
        return configuration;
    }

    public static string AuthorizationUrl(OpenIdConnectConfiguration configuration, OidcProvider provider, string redirectUri, string state, string nonce, string verifier)
    {
        var challenge = Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));
        var query = new Dictionary<string, string>
        {
            ["response_type"] = "code",
            ["client_id"] = provider.ClientId,
            ["redirect_uri"] = redirectUri,
            ["scope"] = "openid email profile",
            ["state"] = state,
            ["nonce"] = nonce,
            ["code_challenge"] = challenge,
            ["code_challenge_method"] = "S256",
        };
        var separator = configuration.AuthorizationEndpoint.Contains('?') ? '&' : '?';
        return configuration.AuthorizationEndpoint + separator + string.Join('&', query.Select(p => $"{p.Key}={Uri.EscapeDataString(p.Value)}"));
    }

    /// <summary>Redeems the code (with the PKCE verifier) and returns the validated ID token's subject and claims.</summary>
    public async Task<(string Subject, string? Email, string? Name)> RedeemAsync(OpenIdConnectConfiguration configuration, OidcProvider provider,
        string code, string verifier, string redirectUri, string nonce, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, configuration.TokenEndpoint)
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "authorization_code",
                ["code"] = code,
                ["redirect_uri"] = redirectUri,
                ["code_verifier"] = verifier,
            }),
        };
        // client_secret_basic: id and secret form-encoded, then base64 (RFC 6749 2.3.1).
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(
            Uri.EscapeDataString(provider.ClientId) + ":" + Uri.EscapeDataString(provider.ClientSecret))));
        string? idToken;
        try
        {
            using var response = await httpClients.CreateClient(HttpClientName).SendAsync(request, cancellationToken);
            if (!response.IsSuccessStatusCode) throw new OidcLoginException("The identity provider refused the login code (it may have expired or been used already).");
            using var document = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync(cancellationToken));
            idToken = document.RootElement.TryGetProperty("id_token", out var token) ? token.GetString() : null;
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or TaskCanceledException)
        {
            throw new OidcLoginException("The identity provider's token endpoint did not answer properly.");
        }
        if (idToken is null) throw new OidcLoginException("The identity provider sent no ID token.");

        var result = await _tokens.ValidateTokenAsync(idToken, new TokenValidationParameters
        {
            ValidIssuers = [configuration.Issuer, provider.Issuer],
            ValidAudience = provider.ClientId,
            IssuerSigningKeys = configuration.SigningKeys,
            ValidateLifetime = true,
            ClockSkew = TimeSpan.FromMinutes(1),
        });
        if (!result.IsValid) throw new OidcLoginException("The identity provider's ID token is not valid for this server.");
        var claims = result.Claims;
        if (!claims.TryGetValue("nonce", out var tokenNonce) || tokenNonce as string != nonce) throw new OidcLoginException("The ID token's nonce does not match this login.");
        if (!claims.TryGetValue("sub", out var subject) || subject is not string { Length: > 0 } sub) throw new OidcLoginException("The ID token has no subject.");
        return (sub, claims.TryGetValue("email", out var email) ? email as string : null, claims.TryGetValue("name", out var name) ? name as string : null);
    }
}
