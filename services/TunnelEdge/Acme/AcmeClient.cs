using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Spokes.TunnelEdge.Acme;

/// <summary>
/// RFC 8555 over HttpClient: an ES256 account (kept under dataPath), JWS-signed requests with fresh nonces (a
/// <c>badNonce</c> is retried), and the order flow — authorizations, one challenge each, finalize with a CSR, download.
/// </summary>
public sealed class AcmeClient : IDisposable
{
    private const string ProblemBadNonce = "urn:ietf:params:acme:error:badNonce";
    private readonly HttpClient _http;
    private readonly AcmeOptions _options;
    private readonly string _folder;
    private readonly ILogger _logger;
    private readonly ECDsa _key;
    private readonly SemaphoreSlim _accountGate = new(1, 1);
    private AcmeDirectory? _directory;
    private string? _account;
    private string? _nonce;

    public AcmeClient(AcmeOptions options, string folder, ILogger logger)
    {
        _options = options;
        _folder = folder;
        _logger = logger;
        Directory.CreateDirectory(folder);
        _key = LoadOrCreateAccountKey(Path.Combine(folder, "account-key.pem"));
        _http = new HttpClient(Handler(options.DirectoryCaFile)) { Timeout = TimeSpan.FromSeconds(30) };
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("spokes-tunnel-edge", "1"));
        Thumbprint = Base64Url(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(Jwk(), AcmeJson.Default.AcmeJwk)));
    }

    /// <summary>The account key's RFC 7638 thumbprint, the second half of every key authorization.</summary>
    public string Thumbprint { get; }

    public string KeyAuthorization(string token) => $"{token}.{Thumbprint}";

    /// <summary>Places an order for <paramref name="names"/>, has <paramref name="solve"/> answer each authorization, and returns the PEM chain and key.</summary>
    public async Task<(string ChainPem, string KeyPem)> OrderAsync(IReadOnlyList<string> names, Func<AcmeAuthorization, Task<AcmeChallenge>> solve,
        CancellationToken cancellationToken)
    {
        await EnsureAccountAsync(cancellationToken);
        var identifiers = names.Select(n => new AcmeIdentifier("dns", n)).ToArray();
        var (orderUrl, order) = await PostAsync(_directory!.NewOrder, new AcmeNewOrder(identifiers), AcmeJson.Default.AcmeNewOrder, AcmeJson.Default.AcmeOrder, cancellationToken);
        foreach (var authorizationUrl in order.Authorizations)
        {
            var (_, authorization) = await GetAsync(authorizationUrl, AcmeJson.Default.AcmeAuthorization, cancellationToken);
            if (authorization.Status == "valid") continue;
            var challenge = await solve(authorization);
            await PostAsync(challenge.Url, new EmptyPayload(), AcmeJson.Default.EmptyPayload, AcmeJson.Default.AcmeChallenge, cancellationToken);
            authorization = await PollAsync(authorizationUrl, AcmeJson.Default.AcmeAuthorization, a => a.Status != "pending", cancellationToken);
            if (authorization.Status != "valid")
            {
                var failed = authorization.Challenges.FirstOrDefault(c => c.Url == challenge.Url)?.Error;
                throw new AcmeException($"{authorization.Identifier.Value}: {challenge.Type} was not accepted ({failed?.Detail ?? authorization.Status}).");
            }
        }
        using var certificateKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={names[0]}", certificateKey, HashAlgorithmName.SHA256);
        var alternativeNames = new SubjectAlternativeNameBuilder();
        foreach (var name in names) alternativeNames.AddDnsName(name);
        request.CertificateExtensions.Add(alternativeNames.Build());
        await PostAsync(order.Finalize, new AcmeFinalize(Base64Url(request.CreateSigningRequest())), AcmeJson.Default.AcmeFinalize, AcmeJson.Default.AcmeOrder, cancellationToken);
        order = await PollAsync(orderUrl!, AcmeJson.Default.AcmeOrder, o => o.Status is not ("pending" or "ready" or "processing"), cancellationToken);
        if (order.Status != "valid" || order.Certificate is null) throw new AcmeException($"The order was not issued ({order.Error?.Detail ?? order.Status}).");
        using var download = await SendAsync(order.Certificate, null, "application/pem-certificate-chain", cancellationToken);
        return (await download.Content.ReadAsStringAsync(cancellationToken), certificateKey.ExportPkcs8PrivateKeyPem());
    }

    private async Task EnsureAccountAsync(CancellationToken cancellationToken)
    {
        await _accountGate.WaitAsync(cancellationToken);
        try
        {
            if (_account is not null) return;
            using (var response = await _http.GetAsync(_options.DirectoryUrl, cancellationToken))
            {
                await EnsureSuccessAsync(response, cancellationToken);
                _directory = await response.Content.ReadFromJsonAsync(AcmeJson.Default.AcmeDirectory, cancellationToken)
                    ?? throw new AcmeException("The ACME directory is empty.");
            }
            var file = Path.Combine(_folder, "account.json");
            if (File.Exists(file) && JsonSerializer.Deserialize(File.ReadAllText(file), AcmeJson.Default.AcmeAccountFile) is { } kept
                && kept.Directory == _options.DirectoryUrl)
            {
                _account = kept.Url;
                return;
            }
            var contact = string.IsNullOrWhiteSpace(_options.Email) ? [] : new[] { $"mailto:{_options.Email.Trim()}" };
            var (url, _) = await PostAsync(_directory.NewAccount, new AcmeNewAccount(true, contact), AcmeJson.Default.AcmeNewAccount,
                AcmeJson.Default.AcmeProblem, cancellationToken, useJwk: true);
            _account = url ?? throw new AcmeException("The CA did not say where the new account is.");
            File.WriteAllText(file, JsonSerializer.Serialize(new AcmeAccountFile(_options.DirectoryUrl, _account), AcmeJson.Default.AcmeAccountFile));
            _logger.LogInformation("ACME account {Account} registered with {Directory}.", _account, _options.DirectoryUrl);
        }
        finally
        {
            _accountGate.Release();
        }
    }

    private async Task<T> PollAsync<T>(string url, JsonTypeInfo<T> type, Func<T, bool> done, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 60; attempt++)
        {
            var (_, resource) = await GetAsync(url, type, cancellationToken);
            if (done(resource)) return resource;
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(250 * (attempt + 1), 3000)), cancellationToken);
        }
        throw new AcmeException($"{url} did not settle in time.");
    }

    private Task<(string? Location, T Body)> GetAsync<T>(string url, JsonTypeInfo<T> type, CancellationToken cancellationToken) =>
        PostCoreAsync(url, null, type, cancellationToken, useJwk: false);

    private Task<(string? Location, TResponse Body)> PostAsync<TRequest, TResponse>(string url, TRequest payload, JsonTypeInfo<TRequest> requestType,
        JsonTypeInfo<TResponse> responseType, CancellationToken cancellationToken, bool useJwk = false) =>
        PostCoreAsync(url, JsonSerializer.SerializeToUtf8Bytes(payload, requestType), responseType, cancellationToken, useJwk);

    private async Task<(string? Location, T Body)> PostCoreAsync<T>(string url, byte[]? payload, JsonTypeInfo<T> type, CancellationToken cancellationToken, bool useJwk)
    {
        using var response = await SendAsync(url, payload, "application/json", cancellationToken, useJwk);
        var body = await response.Content.ReadFromJsonAsync(type, cancellationToken) ?? throw new AcmeException($"{url} answered nothing.");
        return (response.Headers.Location?.ToString(), body);
    }

    /// <summary>A signed POST (POST-as-GET when <paramref name="payload"/> is null); a rejected nonce is retried with the fresh one the CA sent.</summary>
    private async Task<HttpResponseMessage> SendAsync(string url, byte[]? payload, string accept, CancellationToken cancellationToken, bool useJwk = false)
    {
        for (var attempt = 0; ; attempt++)
        {
            var nonce = _nonce ?? await NewNonceAsync(cancellationToken);
            _nonce = null;
            var header = new AcmeProtectedHeader("ES256", nonce, url, useJwk ? Jwk() : null, useJwk ? null : _account);
            var protectedPart = Base64Url(JsonSerializer.SerializeToUtf8Bytes(header, AcmeJson.Default.AcmeProtectedHeader));
            var payloadPart = payload is null ? "" : Base64Url(payload);
            var signature = Base64Url(_key.SignData(Encoding.ASCII.GetBytes($"{protectedPart}.{payloadPart}"), HashAlgorithmName.SHA256));
            var body = JsonSerializer.SerializeToUtf8Bytes(new AcmeJws(protectedPart, payloadPart, signature), AcmeJson.Default.AcmeJws);
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/jose+json");
            request.Headers.Accept.ParseAdd(accept);
            var response = await _http.SendAsync(request, cancellationToken);
            if (response.Headers.TryGetValues("Replay-Nonce", out var nonces)) _nonce = nonces.FirstOrDefault();
            if (response.IsSuccessStatusCode) return response;
            var problem = await ProblemAsync(response, cancellationToken);
            response.Dispose();
            if (problem?.Type == ProblemBadNonce && attempt < 5) continue;
            throw new AcmeException($"{url}: {(int)response.StatusCode} {problem?.Type} {problem?.Detail}".TrimEnd());
        }
    }

    private async Task<string> NewNonceAsync(CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Head, _directory!.NewNonce);
        using var response = await _http.SendAsync(request, cancellationToken);
        return response.Headers.TryGetValues("Replay-Nonce", out var nonces) ? nonces.First() : throw new AcmeException("The CA gave no nonce.");
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode) return;
        var problem = await ProblemAsync(response, cancellationToken);
        throw new AcmeException($"{response.RequestMessage?.RequestUri}: {(int)response.StatusCode} {problem?.Detail}".TrimEnd());
    }

    private static async Task<AcmeProblem?> ProblemAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            return await response.Content.ReadFromJsonAsync(AcmeJson.Default.AcmeProblem, cancellationToken);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private AcmeJwk Jwk()
    {
        var point = _key.ExportParameters(false).Q;
        return new AcmeJwk("P-256", "EC", Base64Url(point.X!), Base64Url(point.Y!));
    }

    public static string Base64Url(ReadOnlySpan<byte> bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static ECDsa LoadOrCreateAccountKey(string path)
    {
        var key = ECDsa.Create();
        if (File.Exists(path))
        {
            key.ImportFromPem(File.ReadAllText(path));
            return key;
        }
        key.GenerateKey(ECCurve.NamedCurves.nistP256);
        File.WriteAllText(path, key.ExportPkcs8PrivateKeyPem());
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return key;
    }

    /// <summary>The system's trust, or only the CAs of <paramref name="caFile"/> (a private ACME server).</summary>
    private static SocketsHttpHandler Handler(string caFile)
    {
        var handler = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5), AutomaticDecompression = DecompressionMethods.All };
        if (string.IsNullOrWhiteSpace(caFile)) return handler;
        var roots = new X509Certificate2Collection();
        roots.ImportFromPemFile(caFile);
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
        {
            if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0) return false;
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(roots);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return chain.Build(new X509Certificate2(certificate)) && (errors & SslPolicyErrors.RemoteCertificateNameMismatch) == 0;
        };
        return handler;
    }

    public void Dispose()
    {
        _http.Dispose();
        _key.Dispose();
        _accountGate.Dispose();
    }
}

public sealed class AcmeException(string message) : Exception(message);
