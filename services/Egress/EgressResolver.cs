using System.Net;
using DnsClient;

namespace Spokes.Egress;

/// <summary>Turns a host name into addresses, once per connection: the address checked is the one connected to.</summary>
public interface IEgressResolver
{
    Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken);
}

public sealed class SystemResolver : IEgressResolver
{
    public Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken) =>
        Dns.GetHostAddressesAsync(host, cancellationToken);
}

/// <summary>Asks one DNS server (<see cref="EgressOptions.DnsServer"/>) for A and AAAA records, with no cache.</summary>
public sealed class DnsServerResolver(IPEndPoint server) : IEgressResolver
{
    private readonly LookupClient client = new(new LookupClientOptions(new NameServer(server))
    {
        UseCache = false,
        Timeout = TimeSpan.FromSeconds(2),
        Retries = 1,
        ThrowDnsErrors = false,
    });

    public async Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken)
    {
        var v4 = client.QueryAsync(host, QueryType.A, cancellationToken: cancellationToken);
        var v6 = client.QueryAsync(host, QueryType.AAAA, cancellationToken: cancellationToken);
        var answers = (await v4).Answers.ARecords().Select(r => r.Address)
            .Concat((await v6).Answers.AaaaRecords().Select(r => r.Address));
        return [.. answers];
    }
}
