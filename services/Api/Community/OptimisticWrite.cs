using Spokes.Api.Errors;
using Spokes.Api.Storage;

namespace Spokes.Api.Community;

/// <summary>
/// A decision and the write it leads to, made again until the write applies. The write expects the fields the
/// decision was made from (<see cref="FieldUpdate.Expect{T}"/>); when someone changed one meanwhile the
/// store refuses it, and the decision is made again from a fresh read, so it never undoes a change it did not see.
/// </summary>
public static class OptimisticWrite
{
    /// <summary>Far more than contention between people needs; reaching it means something rewrites the object without end.</summary>
    public const int MaxAttempts = 10;

    /// <param name="attempt">Reads, decides (throwing to refuse) and writes; null when the store refused the write.</param>
    public static async Task<T> RetryAsync<T>(Func<Task<T?>> attempt) where T : class
    {
        for (var tries = 0; tries < MaxAttempts; tries++)
        {
            if (await attempt() is { } result) return result;
        }
        throw StoatException.InternalError();
    }

    /// <summary>Writes only if the allow/deny pair at <paramref name="path"/> is still <paramref name="current"/> (null: still absent).</summary>
    public static FieldUpdate ExpectOverride(this FieldUpdate update, string path, OverrideField? current) =>
        current is { } field ? update.Expect($"{path}.a", field.A).Expect($"{path}.d", field.D) : update.Expect<object?>(path, null);
}
