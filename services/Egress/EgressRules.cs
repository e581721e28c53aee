using System.Globalization;
using System.Net;

namespace Spokes.Egress;

/// <summary>
/// Decides whether one resolved address may be connected to: public unicast on an allowed port, or an endpoint the
/// operator named in <see cref="EgressOptions.Allow"/> (by host name, or by address).
/// </summary>
public sealed class EgressRules
{
    private readonly HashSet<(string Host, int Port)> allowedNames = [];
    private readonly HashSet<IPEndPoint> allowedEndpoints = [];
    private readonly HashSet<int> publicPorts = [];

    public EgressRules(EgressOptions options)
    {
        foreach (var entry in Split(options.Allow))
        {
            var (host, port) = ParseHostPort(entry, "Egress:Allow");
            if (IPAddress.TryParse(host, out var address)) allowedEndpoints.Add(new IPEndPoint(Canonical(address), port));
            else allowedNames.Add((host.ToLowerInvariant(), port));
        }
        foreach (var entry in Split(options.Ports))
        {
            publicPorts.Add(ParsePort(entry, "Egress:Ports", entry));
        }
    }

    /// <summary>Null when the connection is allowed, else why not.</summary>
    public string? Refusal(string host, IPAddress address, int port)
    {
        if (allowedNames.Contains((host.ToLowerInvariant(), port))) return null;
        if (allowedEndpoints.Contains(new IPEndPoint(Canonical(address), port))) return null;
        if (!PublicAddresses.IsPublic(address)) return $"{address} is not a public address";
        return publicPorts.Contains(port) ? null : $"port {port} is not allowed";
    }

    /// <summary>An IPv4-mapped IPv6 address is the IPv4 address, so an allowed 127.0.0.1 also covers ::ffff:127.0.0.1.</summary>
    private static IPAddress Canonical(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    private static IEnumerable<string> Split(string value) =>
        value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Parses <c>host:port</c> or <c>[v6]:port</c>; a mistake names the setting, as an operator will read it.</summary>
    public static (string Host, int Port) ParseHostPort(string entry, string setting)
    {
        var colon = entry.LastIndexOf(':');
        if (colon <= 0 || colon == entry.Length - 1)
            throw new FormatException($"{setting}: '{entry}' is not host:port");
        var host = entry[..colon];
        if (host.StartsWith('[') && host.EndsWith(']')) host = host[1..^1];
        else if (host.Contains(':')) throw new FormatException($"{setting}: '{entry}' needs brackets around the IPv6 address");
        return (host, ParsePort(entry[(colon + 1)..], setting, entry));
    }

    private static int ParsePort(string value, string setting, string entry) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and <= 65535
            ? port
            : throw new FormatException($"{setting}: '{entry}' has no valid port");
}
