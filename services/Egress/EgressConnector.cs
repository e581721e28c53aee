using System.Net;
using System.Net.Sockets;

namespace Spokes.Egress;

/// <summary>
/// The ConnectCallback of every egress HttpClient. It resolves the host once and connects to an address it has
/// just checked, so a name whose next resolution points elsewhere (DNS rebinding) cannot slip past the rules, and it
/// runs for every connection, redirects included.
/// </summary>
public sealed class EgressConnector(EgressRules rules, IEgressResolver resolver)
{
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var host = context.DnsEndPoint.Host;
        var port = context.DnsEndPoint.Port;
        var literal = host.StartsWith('[') && host.EndsWith(']') ? host[1..^1] : host;
        // IPAddress.TryParse also reads the decimal, octal and hex spellings (2130706433, 0x7f.1) as the address
        // they name, so they are judged as that address.
        var addresses = IPAddress.TryParse(literal, out var address) ? [address] : await ResolveAsync(host, port, cancellationToken);

        string? refusal = null;
        Exception? connectError = null;
        foreach (var candidate in addresses)
        {
            var reason = rules.Refusal(host, candidate, port);
            if (reason is not null)
            {
                refusal ??= reason;
                continue;
            }
            // An IPv4-mapped address is reached over IPv4: the address judged is the address dialled.
            var target = candidate.IsIPv4MappedToIPv6 ? candidate.MapToIPv4() : candidate;
            var socket = new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(target, port), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException e)
            {
                socket.Dispose();
                connectError = e;
            }
        }
        if (connectError is not null) throw connectError;
        throw new EgressRefusedException(host, port, refusal ?? "the name has no address");
    }

    private async Task<IPAddress[]> ResolveAsync(string host, int port, CancellationToken cancellationToken)
    {
        try
        {
            return await resolver.ResolveAsync(host, cancellationToken);
        }
        catch (SocketException)
        {
            throw new EgressRefusedException(host, port, "the name does not resolve");
        }
    }
}
