using System.Text.Json.Serialization;

namespace Spokes.TunnelEdge.Acme;

// RFC 8555's resources, as much of them as the edge reads or sends. Serialized by source generation (the edge is
// published ahead-of-time).

public sealed record AcmeDirectory(
    [property: JsonPropertyName("newNonce")] string NewNonce,
    [property: JsonPropertyName("newAccount")] string NewAccount,
    [property: JsonPropertyName("newOrder")] string NewOrder);

public sealed record AcmeNewAccount(
    [property: JsonPropertyName("termsOfServiceAgreed")] bool TermsOfServiceAgreed,
    [property: JsonPropertyName("contact")] string[] Contact);

public sealed record AcmeIdentifier(
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("value")] string Value);

public sealed record AcmeNewOrder([property: JsonPropertyName("identifiers")] AcmeIdentifier[] Identifiers);

public sealed record AcmeOrder(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("authorizations")] string[] Authorizations,
    [property: JsonPropertyName("finalize")] string Finalize,
    [property: JsonPropertyName("certificate")] string? Certificate,
    [property: JsonPropertyName("error")] AcmeProblem? Error);

public sealed record AcmeAuthorization(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("identifier")] AcmeIdentifier Identifier,
    [property: JsonPropertyName("challenges")] AcmeChallenge[] Challenges,
    [property: JsonPropertyName("wildcard")] bool Wildcard);

public sealed record AcmeChallenge(
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("url")] string Url,
    [property: JsonPropertyName("token")] string Token,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("error")] AcmeProblem? Error);

public sealed record AcmeFinalize([property: JsonPropertyName("csr")] string Csr);

public sealed record AcmeProblem(
    [property: JsonPropertyName("type")] string? Type,
    [property: JsonPropertyName("detail")] string? Detail);

/// <summary>The JWS's protected header: <c>jwk</c> for a new account, <c>kid</c> (the account's URL) after.</summary>
public sealed record AcmeProtectedHeader(
    [property: JsonPropertyName("alg")] string Alg,
    [property: JsonPropertyName("nonce")] string Nonce,
    [property: JsonPropertyName("url")] string Url,
    [property: JsonPropertyName("jwk"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] AcmeJwk? Jwk,
    [property: JsonPropertyName("kid"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Kid);

/// <summary>An EC P-256 public key; members in the lexical order RFC 7638's thumbprint needs.</summary>
public sealed record AcmeJwk(
    [property: JsonPropertyName("crv")] string Crv,
    [property: JsonPropertyName("kty")] string Kty,
    [property: JsonPropertyName("x")] string X,
    [property: JsonPropertyName("y")] string Y);

public sealed record AcmeJws(
    [property: JsonPropertyName("protected")] string Protected,
    [property: JsonPropertyName("payload")] string Payload,
    [property: JsonPropertyName("signature")] string Signature);

/// <summary>What the edge keeps of its account (next to its key), per directory.</summary>
public sealed record AcmeAccountFile(
    [property: JsonPropertyName("directory")] string Directory,
    [property: JsonPropertyName("url")] string Url);

[JsonSerializable(typeof(AcmeDirectory))]
[JsonSerializable(typeof(AcmeNewAccount))]
[JsonSerializable(typeof(AcmeNewOrder))]
[JsonSerializable(typeof(AcmeOrder))]
[JsonSerializable(typeof(AcmeAuthorization))]
[JsonSerializable(typeof(AcmeFinalize))]
[JsonSerializable(typeof(AcmeProblem))]
[JsonSerializable(typeof(AcmeProtectedHeader))]
[JsonSerializable(typeof(AcmeJwk))]
[JsonSerializable(typeof(AcmeJws))]
[JsonSerializable(typeof(AcmeAccountFile))]
[JsonSerializable(typeof(EmptyPayload))]
internal sealed partial class AcmeJson : JsonSerializerContext;

/// <summary>The <c>{}</c> that asks the CA to check a challenge.</summary>
public sealed record EmptyPayload;
