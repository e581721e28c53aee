using System.Data.Common;
using Microsoft.Extensions.Configuration;

namespace Spokes.ServiceDefaults;

/// <summary>Reads connection strings the way Aspire injects them: <c>ConnectionStrings__&lt;resource&gt;</c>.</summary>
public static class ConnectionStrings
{
    public static string GetRequired(IConfiguration configuration, string resourceName) =>
        configuration.GetConnectionString(resourceName) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"Connection string '{resourceName}' is missing: set ConnectionStrings__{resourceName} " +
                $"(the AppHost injects it for the '{resourceName}' resource).");

    /// <summary>Parses a <c>Key=Value;Key=Value</c> connection string; keys are case-insensitive.</summary>
    public static IReadOnlyDictionary<string, string> ParseKeyValues(string connectionString)
    {
        var builder = new DbConnectionStringBuilder { ConnectionString = connectionString };
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (string key in builder.Keys)
        {
            values[key] = Convert.ToString(builder[key]) ?? "";
        }
        return values;
    }
}
