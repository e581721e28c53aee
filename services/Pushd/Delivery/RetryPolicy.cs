using System.Net;
using System.Net.Http.Headers;

namespace Spokes.Pushd.Delivery;

/// <summary>
/// When a push service's answer is worth another try: 429 and 5xx (and a failed connection), after the service's
/// <c>Retry-After</c> or an exponential backoff, a bounded number of times. A service that asks for a longer wait
/// than <see cref="MaxDelay"/> is given up on: one notification must not hold a worker for minutes.
/// </summary>
public sealed class RetryPolicy(int maxAttempts = 3, TimeSpan? firstDelay = null, TimeSpan? maxDelay = null)
{
    public int MaxAttempts { get; } = maxAttempts;

    public TimeSpan FirstDelay { get; } = firstDelay ?? TimeSpan.FromMilliseconds(500);

    public TimeSpan MaxDelay { get; } = maxDelay ?? TimeSpan.FromSeconds(30);

    public static bool IsTransient(HttpStatusCode status) => status == HttpStatusCode.TooManyRequests || (int)status >= 500;

    /// <summary>The wait before attempt <paramref name="attempt"/> + 1, or null to give up.</summary>
    public TimeSpan? DelayAfter(int attempt, RetryConditionHeaderValue? retryAfter, DateTimeOffset now)
    {
        if (attempt >= MaxAttempts) return null;
        var delay = retryAfter switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - now,
            _ => FirstDelay * Math.Pow(2, attempt - 1),
        };
        if (delay < TimeSpan.Zero) delay = TimeSpan.Zero;
        return delay > MaxDelay ? null : delay;
    }
}
