using System.Text.RegularExpressions;

namespace Spokes.AppHost.Hosting;

/// <summary>
/// Aspire manifest expressions: <c>{resource.connectionString}</c>, <c>{resource.value}</c> and
/// <c>{resource.bindings.endpoint.host|port|targetPort|url|scheme}</c>. Running resolves them to loopback
/// addresses and real secrets; the manifest keeps them; Kubernetes maps them to service names.
/// </summary>
public static partial class Expressions
{
    [GeneratedRegex(@"\{(?<resource>[a-z][a-z0-9-]*)\.(?<path>connectionString|value|bindings\.[a-z0-9-]+\.(host|port|targetPort|url|scheme))\}")]
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

    /// <summary>
    /// Checks that every expression of the topology names a resource that exists, a property it has and an
    /// endpoint it declares, so a mistake in AppHost/Program.cs stops the AppHost (or a publish) up front.
    /// </summary>
    public static void Validate(IReadOnlyDictionary<string, Resource> resources)
    {
        foreach (var resource in resources.Values)
        {
            var expressions = resource.Environment.Select(e => (Where: $"{resource.Name}: {e.Key}", Text: e.Value));
            if (resource.ConnectionStringExpression is { } connectionString)
                expressions = expressions.Append(($"{resource.Name}: connection string", connectionString));
            if (resource is ExecutableResource executable)
                expressions = expressions.Concat(executable.Arguments.Select(a => ($"{resource.Name}: arguments", a)));
            if (resource is ContainerResource container)
                expressions = expressions.Concat(container.Arguments.Select(a => ($"{resource.Name}: arguments", a)));

            foreach (var (where, text) in expressions)
            {
                foreach (var reference in References(text))
                {
                    var problem = !resources.TryGetValue(reference.Resource, out var target) ? $"there is no resource '{reference.Resource}'"
                        : reference.Property == "connectionString" && target.ConnectionStringExpression is null ? $"'{target.Name}' has no connection string"
                        : reference.Property == "value" && target is not ParameterResource ? $"'{target.Name}' is not a parameter"
                        : reference.Endpoint is { } endpoint && target.Endpoints.All(e => e.Name != endpoint) ? $"'{target.Name}' has no endpoint '{endpoint}'"
                        : null;
                    if (problem is not null) throw new InvalidOperationException($"{where} refers to {{{reference.Resource}.…}}, but {problem}.");
                }
            }
        }
    }

    /// <summary>Resolves expressions for processes on this machine: every endpoint on 127.0.0.1.</summary>
    public static string EvaluateLocal(string expression, IReadOnlyDictionary<string, Resource> resources, int depth = 0)
    {
        if (depth > 8) throw new InvalidOperationException($"Expression '{expression}' refers to itself.");
        return Evaluate(expression, reference =>
        {
            if (!resources.TryGetValue(reference.Resource, out var resource))
                throw new InvalidOperationException($"Expression refers to unknown resource '{reference.Resource}'.");
            return reference.Property switch
            {
                "connectionString" => EvaluateLocal(
                    resource.ConnectionStringExpression
                        ?? throw new InvalidOperationException($"Resource '{resource.Name}' has no connection string."),
                    resources, depth + 1),
                "value" => resource is ParameterResource parameter
                    ? parameter.Value
                    : throw new InvalidOperationException($"Resource '{resource.Name}' is not a parameter."),
                _ => EndpointProperty(resource.GetEndpoint(reference.Endpoint!), reference.Property, "127.0.0.1", e => e.Port),
            };
        });
    }

    public static string EndpointProperty(Endpoint endpoint, string property, string host, Func<Endpoint, int> port) =>
        property switch
        {
            "host" => host,
            "port" => port(endpoint).ToString(),
            "targetPort" => endpoint.TargetPort.ToString(),
            "scheme" => endpoint.Scheme,
            "url" => $"{endpoint.Scheme}://{host}:{port(endpoint)}",
            _ => throw new InvalidOperationException($"Unknown endpoint property '{property}'."),
        };
}
