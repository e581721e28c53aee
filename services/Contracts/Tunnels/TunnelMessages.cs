using System.Text.Json.Serialization;

namespace Spokes.Contracts.Tunnels;

/// <summary>
/// What a tunnel client and the edge say to each other on the edge's tunnel port (TLS). The first message of
/// a connection says what the connection is: <see cref="Register"/> or <see cref="Allocate"/> (one request,
/// one reply), <see cref="Hello"/> (the control connection of a running client) or <see cref="Data"/> (a
/// pooled data connection, which carries one <see cref="Start"/> and then raw bytes).
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(Register), "Register")]
[JsonDerivedType(typeof(Registered), "Registered")]
[JsonDerivedType(typeof(Allocate), "Allocate")]
[JsonDerivedType(typeof(Allocated), "Allocated")]
[JsonDerivedType(typeof(Identify), "Identify")]
[JsonDerivedType(typeof(Identified), "Identified")]
[JsonDerivedType(typeof(Hello), "Hello")]
[JsonDerivedType(typeof(Welcome), "Welcome")]
[JsonDerivedType(typeof(Data), "Data")]
[JsonDerivedType(typeof(Start), "Start")]
[JsonDerivedType(typeof(OpenData), "OpenData")]
[JsonDerivedType(typeof(Ping), "Ping")]
[JsonDerivedType(typeof(Pong), "Pong")]
[JsonDerivedType(typeof(Shutdown), "Shutdown")]
[JsonDerivedType(typeof(TunnelError), "Error")]
public abstract record TunnelMessage;

/// <summary>Exchanges a registration token for an authentication token and a tunnel.</summary>
public sealed record Register(string Registration, string? User, string? Hostname) : TunnelMessage;

public sealed record Registered(string Token, long TunnelId, string Hostname) : TunnelMessage;

/// <summary>Reserves the next free TCP port of the edge's range for the token's tunnel.</summary>
public sealed record Allocate(string Token) : TunnelMessage;

public sealed record Allocated(int Port) : TunnelMessage;

/// <summary>
/// Asks which hostname the token owns, before any client connects: a suite published through the edge learns its
/// public URL first (its services are configured with it).
/// </summary>
public sealed record Identify(string Token) : TunnelMessage;

/// <summary>
/// The token's tunnel and hostname, and <see cref="PublicUrl"/>: where visitors reach that hostname (the edge's public
/// HTTPS listener when it has one, else its HTTP listener; the port only when it is not the scheme's default).
/// </summary>
public sealed record Identified(long TunnelId, string Hostname, string PublicUrl) : TunnelMessage;

/// <summary>
/// Opens the control connection: the token, the client's build, and the routes it serves. <see cref="Multiplex"/>:
/// the client can carry many visitors per data connection (<see cref="MuxConnection"/>); older clients leave it false.
/// </summary>
public sealed record Hello(string Token, string Version, string Os, string Arch, IReadOnlyList<string> Domains, IReadOnlyList<int> Ports,
    bool Multiplex = false) : TunnelMessage;

/// <summary>
/// The session's data connections present <see cref="Session"/> and <see cref="Secret"/>; the client opens
/// <see cref="PoolSize"/> of them at once. With <see cref="PlaintextData"/> the edge also takes them without TLS. With
/// <see cref="Multiplex"/> each data connection is a <see cref="MuxConnection"/> that carries many visitors, and the
/// client keeps it (opening more only when asked by <see cref="OpenData"/>); without, each carries one visitor.
/// </summary>
public sealed record Welcome(long TunnelId, string Hostname, string Session, string Secret, int PoolSize, bool PlaintextData = false,
    bool Multiplex = false) : TunnelMessage;

public sealed record Data(string Session, string Secret) : TunnelMessage;

/// <summary>A visitor arrived: for the HTTP route <see cref="Domain"/>, or the TCP port <see cref="Port"/>.</summary>
public sealed record Start(string? Domain, int? Port) : TunnelMessage;

/// <summary>The edge's pool of idle data connections ran dry (multiplexed: its connections are busy or broke): open this many more.</summary>
public sealed record OpenData(int Count) : TunnelMessage;

public sealed record Ping : TunnelMessage;

public sealed record Pong : TunnelMessage;

/// <summary>The edge ends the session for good (the token was removed): the client must not reconnect.</summary>
public sealed record Shutdown(string Reason) : TunnelMessage;

/// <summary>A refusal; <see cref="Code"/> is one of <see cref="TunnelErrorCodes"/>.</summary>
public sealed record TunnelError(string Code, string Message) : TunnelMessage;

public static class TunnelErrorCodes
{
    public const string InvalidToken = "InvalidToken";
    public const string InvalidRegistration = "InvalidRegistration";
    public const string HostnameTaken = "HostnameTaken";
    public const string InvalidHostname = "InvalidHostname";
    public const string PortNotAllocated = "PortNotAllocated";
    public const string NoPortsLeft = "NoPortsLeft";
    public const string Malformed = "Malformed";

    /// <summary>Errors that another attempt cannot fix: the client stops instead of reconnecting.</summary>
    public static bool IsPermanent(string code) => code is not Malformed;
}
