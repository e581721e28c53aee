using System.Collections.Concurrent;
using System.Net.Security;
using System.Threading.Channels;
using Spokes.TunnelEdge.Store;

namespace Spokes.TunnelEdge.Acme;

/// <summary>Where a name's certificate stands, for the operator (admin API, <c>spokes cert ls</c>).</summary>
public sealed record CertificateStatus(string Name, string State, DateTimeOffset? NotAfter, string Serial, string LastError, DateTimeOffset? LastAttempt);

/// <summary>
/// Gets and keeps certificates: the edge's domain and the configured wildcards at start, a tunnel hostname when a
/// visitor's TLS handshake first names it (only names a token owns, <see cref="OnDemandLimiter"/>), renewal
/// <see cref="AcmeOptions.RenewBefore"/> expiry. A failed order is logged and shown in the status; the previous
/// certificate keeps being served.
/// </summary>
public sealed class AcmeService : BackgroundService
{
    private readonly EdgeOptions _options;
    private readonly AcmeOptions _acme;
    private readonly EdgeStore _store;
    private readonly AcmeChallenges _challenges;
    private readonly TimeProvider _time;
    private readonly ILogger<AcmeService> _logger;
    private readonly AcmeCertificateStore _certificates;
    private readonly OnDemandLimiter _limiter;
    private readonly Channel<string> _onDemand = Channel.CreateBounded<string>(new BoundedChannelOptions(64) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly ConcurrentDictionary<string, CertificateStatus> _status = new();
    private readonly SemaphoreSlim _ordering = new(1, 1);
    private readonly AcmeClient _client;
    private long _refused;

    public AcmeService(EdgeOptions options, EdgeStore store, AcmeChallenges challenges, TimeProvider time, ILogger<AcmeService> logger)
    {
        _options = options;
        _acme = options.Acme;
        _store = store;
        _challenges = challenges;
        _time = time;
        _logger = logger;
        var folder = Path.Combine(options.DataPath, "acme");
        _certificates = new AcmeCertificateStore(Path.Combine(folder, "certificates"), logger);
        _limiter = new OnDemandLimiter(_acme.OnDemandPerHour, _acme.RetryAfterFailure);
        _client = new AcmeClient(_acme, folder, logger);
        foreach (var issued in _certificates.All) _status[issued.Name] = Valid(issued, null);
    }

    /// <summary>Handshakes that named a host no token owns (nothing was ordered for them).</summary>
    public long RefusedOnDemand => Interlocked.Read(ref _refused);

    public IEnumerable<CertificateStatus> Statuses => _status.Values.OrderBy(s => s.Name, StringComparer.Ordinal);

    /// <summary>The certificate to serve for an SNI name; when there is none, asks for one in the background (the handshake does not wait).</summary>
    public SslStreamCertificateContext? ForServerName(string? serverName)
    {
        if (serverName is null) return null;
        var name = Hostnames.Normalize(serverName);
        if (_certificates.Find(name) is { } issued) return issued.Context;
        if (Hostnames.IsValid(name) && !name.StartsWith("*.", StringComparison.Ordinal)) _onDemand.Writer.TryWrite(name);
        return null;
    }

    /// <summary>Whether the edge keeps a certificate for the name: its domain, a configured wildcard, or one it was issued.</summary>
    public bool IsManaged(string name)
    {
        name = Hostnames.Normalize(name);
        return name == _options.Domain || _acme.Wildcards.Select(Hostnames.Normalize).Contains(name) || _certificates.Get(name) is not null;
    }

    /// <summary>Orders a new certificate for a <see cref="IsManaged"/> name now, whatever its expiry.</summary>
    public async Task<CertificateStatus> RenewAsync(string name, CancellationToken cancellationToken)
    {
        name = Hostnames.Normalize(name);
        await OrderAsync(name, cancellationToken);
        return _status[name];
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var onDemand = ServeOnDemandAsync(stoppingToken);
        using var timer = new PeriodicTimer(_acme.CheckInterval, _time);
        try
        {
            do
            {
                await RenewDueAsync(stoppingToken);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        await onDemand;
    }

    /// <summary>The domain and wildcards when missing, and every certificate within <see cref="AcmeOptions.RenewBefore"/> of expiry.</summary>
    private async Task RenewDueAsync(CancellationToken cancellationToken)
    {
        var names = new[] { _options.Domain }.Concat(_acme.Wildcards.Select(Hostnames.Normalize)).Concat(_certificates.All.Select(c => c.Name)).Distinct();
        foreach (var name in names)
        {
            var current = _certificates.Get(name);
            if (current is not null && current.NotAfter - _time.GetUtcNow() > _acme.RenewBefore) continue;
            try
            {
                await OrderAsync(name, cancellationToken);
            }
            catch (AcmeException)
            {
                // Logged and kept in the status by OrderAsync; the next check tries again.
            }
        }
    }

    private async Task ServeOnDemandAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var name in _onDemand.Reader.ReadAllAsync(cancellationToken))
            {
                if (_certificates.Get(name) is not null) continue;
                if (name != _options.Domain && !await _store.IsOwnedAsync(name))
                {
                    Interlocked.Increment(ref _refused);
                    _logger.LogDebug("ACME: no certificate is ordered for {Name}: no tunnel's token owns it.", name);
                    continue;
                }
                if (!_limiter.TryStart(name, _time.GetUtcNow())) continue;
                var succeeded = false;
                try
                {
                    await OrderAsync(name, cancellationToken);
                    succeeded = true;
                }
                catch (AcmeException)
                {
                }
                finally
                {
                    _limiter.Finished(name, succeeded, _time.GetUtcNow());
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>One order at a time; its outcome goes into the status and the log. Throws <see cref="AcmeException"/> when it failed.</summary>
    private async Task OrderAsync(string name, CancellationToken cancellationToken)
    {
        await _ordering.WaitAsync(cancellationToken);
        var started = _time.GetUtcNow();
        var cleanups = new List<Func<Task>>();
        try
        {
            _logger.LogInformation("ACME: ordering a certificate for {Name}.", name);
            var (chain, key) = await _client.OrderAsync([name], authorization => SolveAsync(authorization, cleanups), cancellationToken);
            var issued = _certificates.Save(name, chain, key);
            _status[name] = Valid(issued, started);
            _logger.LogInformation("ACME: certificate for {Name} issued (serial {Serial}, valid until {NotAfter:u}).", name, issued.Serial, issued.NotAfter);
        }
        catch (Exception e) when (e is AcmeException or HttpRequestException or TaskCanceledException or System.Text.Json.JsonException
                                      or System.Security.Cryptography.CryptographicException or IOException
                                  && !cancellationToken.IsCancellationRequested)
        {
            var previous = _certificates.Get(name);
            _status[name] = new CertificateStatus(name, previous is null ? "failed" : "renewal failed", previous?.NotAfter, previous?.Serial ?? "", e.Message, started);
            _logger.LogError("ACME: the certificate for {Name} was not issued: {Reason}{Keeping}", name, e.Message,
                previous is null ? "" : $" The current one (valid until {previous.NotAfter:u}) is still served.");
            throw e as AcmeException ?? new AcmeException(e.Message);
        }
        finally
        {
            foreach (var cleanup in cleanups) await CleanUpAsync(cleanup);
            _ordering.Release();
        }
    }

    /// <summary>Answers an authorization with the first preferred challenge the CA offers (DNS-01 for wildcards, through the hook).</summary>
    private async Task<AcmeChallenge> SolveAsync(AcmeAuthorization authorization, List<Func<Task>> cleanups)
    {
        var name = authorization.Identifier.Value;
        if (authorization.Wildcard)
        {
            var dns = authorization.Challenges.FirstOrDefault(c => c.Type == AcmeChallenges.Dns01)
                ?? throw new AcmeException($"The CA offers no dns-01 challenge for *.{name}.");
            var record = $"_acme-challenge.{name}";
            var value = AcmeChallenges.DnsTxtValue(_client.KeyAuthorization(dns.Token));
            await AcmeChallenges.RunDnsHookAsync(_acme.DnsHook, "set", record, value, CancellationToken.None);
            cleanups.Add(() => AcmeChallenges.RunDnsHookAsync(_acme.DnsHook, "clear", record, value, CancellationToken.None));
            return dns;
        }
        var challenge = _acme.PreferredChallenges.Select(type => authorization.Challenges.FirstOrDefault(c => c.Type == type)).FirstOrDefault(c => c is not null)
            ?? throw new AcmeException($"The CA offers none of {string.Join(", ", _acme.PreferredChallenges)} for {name}.");
        var answer = _challenges.Answer(challenge.Type, name, challenge.Token, _client.KeyAuthorization(challenge.Token));
        cleanups.Add(() =>
        {
            answer.Dispose();
            return Task.CompletedTask;
        });
        return challenge;
    }

    private async Task CleanUpAsync(Func<Task> cleanup)
    {
        try
        {
            await cleanup();
        }
        catch (AcmeException e)
        {
            _logger.LogWarning("ACME: a challenge's answer was not removed: {Reason}", e.Message);
        }
    }

    private static CertificateStatus Valid(IssuedCertificate issued, DateTimeOffset? attempt) =>
        new(issued.Name, "valid", issued.NotAfter, issued.Serial, "", attempt);

    public override void Dispose()
    {
        base.Dispose();
        _client.Dispose();
        _ordering.Dispose();
    }
}
