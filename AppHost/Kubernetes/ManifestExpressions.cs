using System.Text.RegularExpressions;

namespace Spokes.AppHost.Kubernetes;

/// <summary>
/// Aspire's manifest expressions — <c>{resource.connectionString}</c>, <c>{parameter.value}</c> and
/// <c>{resource.bindings.endpoint.host|port|targetPort|url|scheme|tlsEnabled}</c> — as Aspire writes them for
/// every value of its application model, read back so a deployment can put its own values in their place.
/// </summary>
public static partial class ManifestExpressions
{
    [GeneratedRegex(@"\{(?<resource>[a-z][a-z0-9-]*)\.(?<path>connectionString|value|bindings\.[a-z0-9-]+\.(host|port|targetPort|url|scheme|tlsEnabled))\}")]
    private static partial Regex Placeholder();

    public sealed record Reference(string Resource, string Property, string? Endpoint);

    public static IEnumerable<Reference> References(string expression) =>
        Placeholder().Matches(expression).Select(ToReference);

    /// <summary>Replaces every placeholder with what <paramref name="resolve"/> gives for it.</summary>
    public static string Evaluate(string expression, Func<Reference, string> resolve) =>
        Placeholder().Replace(expression, match => resolve(ToReference(match)));

    private static Reference ToReference(Match match)
    {
        var path = match.Groups["path"].Value;
        if (!path.StartsWith("bindings.", StringComparison.Ordinal))
        {
            return new Reference(match.Groups["resource"].Value, path, null);
        }
        var parts = path.Split('.');
        return new Reference(match.Groups["resource"].Value, parts[2], parts[1]);
    }

    /// <summary>A binding's property as seen in a cluster, where a Service named <paramref name="host"/> serves it on its target port.</summary>
    public static string EndpointProperty(Binding binding, string property, string host) =>
        property switch
        {
            "host" => host,
            "port" or "targetPort" => binding.TargetPort.ToString(),
            "scheme" => binding.Scheme,
            "url" => $"{binding.Scheme}://{host}:{binding.TargetPort}",
            "tlsEnabled" => "false",
            _ => throw new InvalidOperationException($"Unknown endpoint property '{property}'."),
        };
}
