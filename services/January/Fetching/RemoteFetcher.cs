using System.Net.Http.Headers;
using Spokes.Egress;

namespace Spokes.January.Fetching;

/// <summary>
/// Every request January makes, through the egress client: addresses that are not public are refused at connect
/// time (redirects included), and a refusal, a failure and a timeout are told apart in Stoat's terms.
/// </summary>
public sealed class RemoteFetcher(IHttpClientFactory clients)
{
    public const string ClientName = "january";

    private const string JanuaryAgent = "Mozilla/5.0 (compatible; January/2.0; +https://github.com/stoatchat/stoatchat)";
    private const string DiscordAgent = "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)";

    // Hosts that describe their pages only to crawlers they know, as Stoat's January spoofs for them.
    private static readonly string[] CrawlerOnlyHosts =
        ["twitter.com", "vxtwitter.com", "fxtwitter.com", "x.com", "fixvx.com", "fixupx.com", "reddit.com", "klipy.com"];

    /// <summary>A link as users give it: absolute http or https, else refused before anything is fetched.</summary>
    public static Uri ParseLink(string? url)
    {
        if (string.IsNullOrWhiteSpace(url) || url.Length > 2048) throw JanuaryException.FailedValidation("url must be an address of 1 to 2048 characters");
        // .NET reads a rooted path ("/etc") as a file address on Unix: a link names its scheme itself.
        var text = url.Trim();
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || !text.StartsWith(uri.Scheme + ":", StringComparison.OrdinalIgnoreCase))
            throw JanuaryException.FailedValidation("url is not an absolute address");
        if (uri.Scheme is not ("http" or "https")) throw JanuaryException.Refused();
        return uri;
    }

    /// <summary>The response to GET <paramref name="url"/> once its headers are in; its body is the caller's to read, within a cap.</summary>
    public async Task<HttpResponseMessage> GetAsync(Uri url, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.TryAddWithoutValidation("User-Agent", IsCrawlerOnly(url.IdnHost) ? DiscordAgent : JanuaryAgent);
        request.Headers.AcceptLanguage.Add(new StringWithQualityHeaderValue("en-US"));
        request.Headers.AcceptLanguage.Add(new StringWithQualityHeaderValue("en", 0.5));
        HttpResponseMessage response;
        try
        {
            response = await clients.CreateClient(ClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (Exception e) when (EgressRefusedException.IsRefusal(e))
        {
            throw JanuaryException.Refused();
        }
        catch (Exception e) when (e is HttpRequestException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw JanuaryException.ProxyError();
        }
        if (!response.IsSuccessStatusCode)
        {
            response.Dispose();
            throw JanuaryException.ProxyError();
        }
        return response;
    }

    /// <summary>
    /// Up to <paramref name="maxBytes"/> of the body, and whether that was all of it; never holds more than the cap,
    /// however long the body runs on.
    /// </summary>
    public static async Task<(byte[] Bytes, bool Whole)> ReadPrefixAsync(HttpContent content, int maxBytes, CancellationToken cancellationToken)
    {
        var declared = content.Headers.ContentLength;
        var buffer = new byte[declared is { } length && length < maxBytes ? (int)length : maxBytes];
        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        var read = 0;
        try
        {
            while (read < buffer.Length)
            {
                var count = await stream.ReadAsync(buffer.AsMemory(read), cancellationToken);
                if (count == 0) return (buffer[..read], true);
                read += count;
            }
            // Full: one more byte tells whether the body went on.
            var probe = new byte[1];
            return (buffer, await stream.ReadAsync(probe, cancellationToken) == 0);
        }
        catch (Exception e) when (e is HttpRequestException or IOException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw JanuaryException.ProxyError();
        }
    }

    private static bool IsCrawlerOnly(string host) =>
        CrawlerOnlyHosts.Any(h => host.Equals(h, StringComparison.OrdinalIgnoreCase) || host.EndsWith("." + h, StringComparison.OrdinalIgnoreCase));
}
