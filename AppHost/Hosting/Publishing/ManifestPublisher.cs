using System.Text.Json;
using System.Text.Json.Nodes;

namespace Spokes.AppHost.Hosting.Publishing;

/// <summary>
/// Writes <c>aspire-manifest.json</c> in Aspire's manifest format (schema aspire-8.0), which Aspire's own
/// deployment tools (aspirate, azd) read. Expressions are kept as placeholders for the tool to fill in.
/// </summary>
public static class ManifestPublisher
{
    public const string SchemaUrl = "https://json.schemastore.org/aspire-8.0.json";

    public static IReadOnlyList<string> Write(IReadOnlyDictionary<string, Resource> resources, string outputFolder)
    {
        Directory.CreateDirectory(outputFolder);
        var path = Path.Combine(outputFolder, "aspire-manifest.json");
        var manifest = Build(resources, outputFolder);
        File.WriteAllText(path, manifest.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        return [path];
    }

    public static JsonObject Build(IReadOnlyDictionary<string, Resource> resources, string outputFolder)
    {
        var entries = new JsonObject();
        foreach (var resource in resources.Values)
        {
            entries[resource.Name] = resource switch
            {
                ParameterResource parameter => Parameter(parameter),
                ContainerResource container => Container(container),
                ProjectResource project => Project(project, outputFolder),
                _ => throw new InvalidOperationException(
                    $"Resource '{resource.Name}' ({resource.Type}) exists only in the local profile and cannot be published."),
            };
        }
        return new JsonObject { ["$schema"] = SchemaUrl, ["resources"] = entries };
    }

    private static JsonObject Parameter(ParameterResource parameter)
    {
        var input = new JsonObject { ["type"] = "string", ["secret"] = parameter.Secret };
        if (parameter.Generatable)
        {
            input["default"] = new JsonObject { ["generate"] = new JsonObject { ["minLength"] = 32, ["special"] = false } };
        }
        return new JsonObject
        {
            ["type"] = "parameter.v0",
            ["value"] = $"{{{parameter.Name}.inputs.value}}",
            ["inputs"] = new JsonObject { ["value"] = input },
        };
    }

    private static JsonObject Container(ContainerResource container)
    {
        var entry = new JsonObject { ["type"] = "container.v0" };
        if (container.ConnectionStringExpression is { } connectionString) entry["connectionString"] = connectionString;
        entry["image"] = $"{container.Image}:{container.Tag}";
        if (container.Arguments.Count > 0) entry["args"] = new JsonArray(container.Arguments.Select(a => (JsonNode)a!).ToArray());
        if (container.Volumes.Count > 0)
        {
            entry["volumes"] = new JsonArray(container.Volumes.Select(v => (JsonNode)new JsonObject
            {
                ["name"] = $"spokes-{container.Name}-{v.Name}",
                ["target"] = v.Target,
                ["readOnly"] = false,
            }).ToArray());
        }
        AddEnvironmentAndBindings(entry, container);
        return entry;
    }

    private static JsonObject Project(ProjectResource project, string outputFolder)
    {
        var entry = new JsonObject
        {
            ["type"] = "project.v0",
            // Aspire writes project paths relative to the manifest.
            ["path"] = Path.GetRelativePath(outputFolder, Path.Combine(BuildLayout.RepositoryRoot, project.ProjectPath)),
        };
        AddEnvironmentAndBindings(entry, project);
        return entry;
    }

    private static void AddEnvironmentAndBindings(JsonObject entry, Resource resource)
    {
        if (resource.Environment.Count > 0)
        {
            var env = new JsonObject();
            foreach (var (key, value) in resource.Environment) env[key] = value;
            entry["env"] = env;
        }
        var bindings = new JsonObject();
        foreach (var endpoint in resource.Endpoints)
        {
            var binding = new JsonObject
            {
                ["scheme"] = endpoint.Scheme,
                ["protocol"] = endpoint.Protocol,
                ["transport"] = endpoint.Transport,
                ["targetPort"] = endpoint.TargetPort,
            };
            if (endpoint.External) binding["external"] = true;
            bindings[endpoint.Name] = binding;
        }
        if (bindings.Count > 0) entry["bindings"] = bindings;
    }
}
