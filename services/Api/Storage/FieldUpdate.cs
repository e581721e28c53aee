using System.Text.Json;

namespace Spokes.Api.Storage;

/// <summary>
/// One atomic write to some fields of a stored object, as Stoat writes with MongoDB's <c>$set</c> and
/// <c>$unset</c>: only the fields named here change, so a concurrent write to any other field is never undone.
/// Fields are named as stored (snake_case), nested ones by dotted paths (<c>roles.{id}.permissions</c>); a
/// nested field set under a missing parent creates the parent.
/// <para>
/// Expectations make the write conditional on what a decision was made from (optimistic concurrency): when a
/// field no longer holds the value that was read, nothing is written and the store says so, and the caller
/// decides again from a fresh read.
/// </para>
/// </summary>
public sealed class FieldUpdate
{
    private readonly Dictionary<string, string?> _changes = new(StringComparer.Ordinal);
    private readonly List<FieldExpectation> _expectations = [];

    /// <summary>Each field written, with its new value as JSON; null clears it.</summary>
    public IReadOnlyDictionary<string, string?> Changes => _changes;

    public IReadOnlyList<FieldExpectation> Expectations => _expectations;

    public bool HasChanges => _changes.Count > 0;

    /// <summary>This update, which a store writes only when it changes something: an empty write is a caller's mistake.</summary>
    public FieldUpdate RequireChanges() => HasChanges ? this : throw new InvalidOperationException("A field update must change at least one field.");

    /// <summary>Writes <paramref name="value"/> in Stoat's JSON; null clears the field, as stored objects leave out empty fields.</summary>
    public FieldUpdate Set<T>(string path, T value)
    {
        _changes[Checked(path)] = value is null ? null : JsonSerializer.Serialize(value, StoatJson.Options);
        return this;
    }

    public FieldUpdate Unset(string path)
    {
        _changes[Checked(path)] = null;
        return this;
    }

    /// <summary>Writes only if the field holds <paramref name="value"/> (null: if it is absent).</summary>
    public FieldUpdate Expect<T>(string path, T value)
    {
        _expectations.Add(new FieldExpectation(Checked(path), value is null ? null : JsonSerializer.Serialize(value, StoatJson.Options), Present: false));
        return this;
    }

    /// <summary>Writes only if the field is there, so that setting a nested field never brings back a parent someone removed.</summary>
    public FieldUpdate ExpectPresent(string path)
    {
        _expectations.Add(new FieldExpectation(Checked(path), null, Present: true));
        return this;
    }

    /// <summary>The path's parts. Each is a plain name or id: no dots, quotes or <c>$</c>, which MongoDB and SQLite would read as syntax.</summary>
    public static IReadOnlyList<string> Segments(string path) => path.Split('.');

    private static string Checked(string path)
    {
        foreach (var segment in Segments(path))
        {
            if (segment.Length == 0 || segment.Any(c => c is '$' or '"' or '\'' or '[' or ']' || char.IsWhiteSpace(c) || char.IsControl(c)))
                throw new ArgumentException($"'{path}' is not a field path", nameof(path));
        }
        return path;
    }
}

/// <summary>
/// What a <see cref="FieldUpdate"/> requires of a field: <see cref="Present"/>, or to hold <see cref="Json"/>
/// (absent when null).
/// </summary>
public sealed record FieldExpectation(string Path, string? Json, bool Present);
