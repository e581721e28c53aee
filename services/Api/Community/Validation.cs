using Spokes.Api.Errors;

namespace Spokes.Api.Community;

/// <summary>Stoat's field rules for community objects, checked before anything is written.</summary>
public static class Validation
{
    /// <summary>A required text of <paramref name="min"/>–<paramref name="max"/> characters.</summary>
    public static string Required(string? value, string field, int min, int max) =>
        value is null ? throw StoatException.FailedValidation($"{field} is required") : Length(value, field, min, max)!;

    /// <summary>An optional text; when given it must be <paramref name="min"/>–<paramref name="max"/> characters.</summary>
    public static string? Length(string? value, string field, int min, int max) =>
        value is null || value.Length >= min && value.Length <= max
            ? value
            : throw StoatException.FailedValidation($"{field} must be {min}–{max} characters");

    /// <summary>Every name in <paramref name="remove"/> must be one of <paramref name="allowed"/>.</summary>
    public static IReadOnlyList<string> Removals(List<string>? remove, IReadOnlyCollection<string> allowed) =>
        (remove ?? []).FirstOrDefault(f => !allowed.Contains(f)) is { } unknown
            ? throw StoatException.FailedValidation($"cannot remove '{unknown}'; removable: {string.Join(", ", allowed)}")
            : remove ?? [];
}
