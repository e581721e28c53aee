using System.Net;

namespace Spokes.Api.Setup;

/// <summary>A setup answer that cannot be taken; its message is shown to the operator as it is.</summary>
public sealed class SetupAnswerException(string message) : Exception(message);

/// <summary>The rules every setup answer meets, whether it comes from the wizard, the admin page or a setup file.</summary>
public static class SetupRules
{
    public const int MaxServerNameLength = 64;

    public static string ServerName(string? name)
    {
        var trimmed = name?.Trim() ?? "";
        if (trimmed.Length is 0 or > MaxServerNameLength || trimmed.Any(char.IsControl))
            throw new SetupAnswerException($"The server name must be 1 to {MaxServerNameLength} characters, without control characters.");
        return trimmed;
    }

    /// <summary>An absolute http(s) URL without credentials, query or fragment, without its trailing slash.</summary>
    public static string PublicUrl(string? url)
    {
        if (!Uri.TryCreate(url?.Trim(), UriKind.Absolute, out var parsed) || parsed.Scheme is not ("http" or "https")
            || parsed.UserInfo.Length > 0 || parsed.Query.Length > 0 || parsed.Fragment.Length > 0)
        {
            throw new SetupAnswerException("The public URL must be an absolute http:// or https:// URL, without user name, query or fragment.");
        }
        return parsed.GetLeftPart(UriPartial.Path).TrimEnd('/');
    }

    /// <summary>
    /// LiveKit's ports next to the public URL: a valid TCP port, a non-empty UDP range, and no TCP port that the
    /// Gateway's public URL already uses on the same machine.
    /// </summary>
    public static NetworkSettings Network(string? publicUrl, int tcpPort, int udpStart, int udpEnd)
    {
        var url = PublicUrl(publicUrl);
        if (new Uri(url).Port == tcpPort) throw new SetupAnswerException($"The LiveKit TCP port {tcpPort} is the public URL's port.");
        return LiveKitPorts(tcpPort, udpStart, udpEnd) with { PublicUrl = url };
    }

    /// <summary>LiveKit's ports alone: the public URL stays the one the AppHost was started with (<c>--public-url</c>).</summary>
    public static NetworkSettings LiveKitPorts(int tcpPort, int udpStart, int udpEnd)
    {
        if (tcpPort is < 1 or > 65535) throw new SetupAnswerException("The LiveKit TCP port must be between 1 and 65535.");
        if (udpStart is < 1 or > 65535 || udpEnd is < 1 or > 65535) throw new SetupAnswerException("The LiveKit UDP ports must be between 1 and 65535.");
        if (udpStart > udpEnd) throw new SetupAnswerException("The LiveKit UDP range must start at or below its end.");
        return new NetworkSettings { LiveKitTcpPort = tcpPort, LiveKitUdpStart = udpStart, LiveKitUdpEnd = udpEnd };
    }

    /// <summary>
    /// An OpenID provider: an https issuer (http only on this machine, for a provider beside it), a client id and
    /// secret of sensible length.
    /// </summary>
    public static OidcProvider Oidc(string? issuer, string? clientId, string? clientSecret)
    {
        if (!Uri.TryCreate(issuer?.Trim(), UriKind.Absolute, out var parsed) || parsed.Query.Length > 0 || parsed.Fragment.Length > 0
            || !(parsed.Scheme == "https" || (parsed.Scheme == "http" && IsLoopback(parsed))))
        {
            throw new SetupAnswerException("The issuer must be an https:// URL (http:// only for a provider on this machine).");
        }
        var id = clientId?.Trim() ?? "";
        var secret = clientSecret ?? "";
        if (id.Length is 0 or > 256 || id.Any(char.IsControl)) throw new SetupAnswerException("The client id must be 1 to 256 characters.");
        if (secret.Length is 0 or > 512 || secret.Any(char.IsControl)) throw new SetupAnswerException("The client secret must be 1 to 512 characters.");
        return new OidcProvider(issuer!.Trim(), id, secret);
    }

    private static bool IsLoopback(Uri uri) =>
        uri.IsLoopback || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));

    /// <summary>An OIDC instance may switch built-in accounts off; a built-in one needs them.</summary>
    public static IdentitySettings Identity(IdentityMode mode, bool builtinAccounts, OidcProvider? oidc) => mode switch
    {
        IdentityMode.Builtin => new IdentitySettings { Mode = IdentityMode.Builtin, BuiltinAccounts = true },
        _ => new IdentitySettings
        {
            Mode = IdentityMode.Oidc,
            BuiltinAccounts = builtinAccounts,
            Oidc = oidc ?? throw new SetupAnswerException("An external identity provider needs its issuer, client id and secret."),
        },
    };
}
