using System.Text;

namespace Spokes.Api.Storage.Sqlite;

/// <summary>A <see cref="FieldUpdate"/> as SQLite's JSON functions over a <c>document</c> column, every path and value a parameter.</summary>
internal static class SqliteFieldUpdates
{
    /// <summary>
    /// The document with the update applied (<c>json_set</c>, then <c>json_remove</c>), and the conditions its
    /// expectations add to a WHERE clause (each begins with AND); adds the parameters both use.
    /// </summary>
    public static (string Document, string Conditions) Translate(FieldUpdate update, Dictionary<string, object?> parameters)
    {
        update.RequireChanges();
        var document = "document";
        var sets = update.Changes.Where(c => c.Value is not null).ToList();
        if (sets.Count > 0)
            document = $"json_set({document}, {string.Join(", ", sets.Select((c, i) => $"{Add(parameters, $"set_path{i}", Path(c.Key))}, json({Add(parameters, $"set_value{i}", c.Value)})"))})";
        var unsets = update.Changes.Where(c => c.Value is null).ToList();
        if (unsets.Count > 0)
            document = $"json_remove({document}, {string.Join(", ", unsets.Select((c, i) => Add(parameters, $"unset_path{i}", Path(c.Key))))})";

        var conditions = new StringBuilder();
        foreach (var (expectation, i) in update.Expectations.Select((e, i) => (e, i)))
        {
            var path = Add(parameters, $"expect_path{i}", Path(expectation.Path));
            conditions.Append(expectation switch
            {
                { Present: true } => $" AND json_type(document, {path}) IS NOT NULL",
                // A missing field and JSON null both read as SQL NULL, as MongoDB's {field: null} matches both.
                { Json: null } => $" AND json_extract(document, {path}) IS NULL",
                _ => $" AND json_extract(document, {path}) IS json_extract({Add(parameters, $"expect_value{i}", expectation.Json)}, '$')",
            });
        }
        return (document, conditions.ToString());
    }

    /// <summary>A dotted field path as a JSON path with every label quoted.</summary>
    public static string Path(string path) => "$" + string.Concat(FieldUpdate.Segments(path).Select(s => $".\"{s}\""));

    private static string Add(Dictionary<string, object?> parameters, string name, object? value)
    {
        parameters[name] = value;
        return "$" + name;
    }
}
