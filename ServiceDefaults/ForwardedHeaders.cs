using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using IPNetwork = System.Net.IPNetwork;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Whose <c>X-Forwarded-For</c> and <c>-Proto</c> a service believes. Aspire turns forwarded headers on for every
/// project and trusts any peer (<c>ASPNETCORE_FORWARDEDHEADERS_ENABLED</c>): a client could then choose its own
/// address, and with it its rate-limit bucket. Only the proxies in <c>ForwardedHeaders:TrustedProxies</c> (addresses
/// or CIDR networks, comma-separated) are believed, and only for the one hop each adds. Unset, that is this
/// machine's loopback, where the Gateway is in the local profile; empty, nobody: the Gateway's own setting unless
/// the operator puts a reverse proxy or a tunnel in front of it.
/// </summary>
public static class ForwardedHeadersDefaults
{
    public const string TrustedProxiesKey = "ForwardedHeaders:TrustedProxies";

    public static TBuilder ConfigureForwardedHeaders<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        var trusted = TrustedProxies.Parse(builder.Configuration[TrustedProxiesKey] ?? "127.0.0.0/8,::1/128");
        builder.Services.PostConfigure<ForwardedHeadersOptions>(options =>
        {
            // With no known proxy at all, ASP.NET Core would believe every peer.
            options.ForwardedHeaders = trusted.Count > 0 ? ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto : ForwardedHeaders.None;
            options.ForwardLimit = 1;
            options.KnownProxies.Clear();
            options.KnownIPNetworks.Clear();
            foreach (var network in trusted) options.KnownIPNetworks.Add(network);
        });
        return builder;
    }
}

public static class TrustedProxies
{
    /// <summary>Parses <c>10.0.0.0/8, 192.168.1.5, ::1</c>; a bad entry stops the service with its reason.</summary>
    public static IReadOnlyList<IPNetwork> Parse(string value)
    {
        var networks = new List<IPNetwork>();
        foreach (var entry in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (IPNetwork.TryParse(entry, out var network)) networks.Add(network);
            else if (IPAddress.TryParse(entry, out var address)) networks.Add(new IPNetwork(address, address.GetAddressBytes().Length * 8));
            else throw new InvalidOperationException($"{ForwardedHeadersDefaults.TrustedProxiesKey}: '{entry}' is neither an IP address nor a CIDR network.");
        }
        return networks;
    }
}
