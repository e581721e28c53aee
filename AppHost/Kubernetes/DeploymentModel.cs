using System.Text.Json;
using Spokes.AppHost.Containers;

namespace Spokes.AppHost.Kubernetes;

/// <summary>A port a workload listens on, as Aspire's manifest binds it.</summary>
public sealed record Binding(string Name, string Scheme, string Protocol, int TargetPort, bool External);

/// <summary>One thing to run in the cluster: a service (project) or a backing server (container).</summary>
public sealed record Workload(
    string Name,
    string Image,
    bool IsProject,
    IReadOnlyList<Binding> Bindings,
    IReadOnlyList<KeyValuePair<string, string>> Environment,
    IReadOnlyList<string> Arguments,
    IReadOnlyList<PersistentFolderAnnotation> Volumes,
    IReadOnlyList<string> HostPortRanges,
    bool IsMongoReplicaSet)
{
    public Binding Binding(string name) =>
        Bindings.FirstOrDefault(b => b.Name == name) ?? throw new InvalidOperationException($"'{Name}' has no binding '{name}'.");
}

/// <summary>A value the deployment supplies: from the Secret, or written as it is when it has a plain default.</summary>
public sealed record Setting(string Name, bool FromSecret, string? Default);

/// <summary>
/// What a deployment needs of Aspire's application model: Aspire's own manifest of it (every value written as a
/// manifest expression by Aspire's writer, connection strings and parameters included), and from the model what
/// the manifest does not carry: which services keep files, serve a range of the node's ports, or are MongoDB's
/// replica set.
/// </summary>
public sealed class DeploymentModel
{
    private readonly JsonElement _resources;
    private readonly HashSet<string> _urlSafe = [];

    private DeploymentModel(JsonElement resources, IReadOnlyList<Workload> workloads, IReadOnlyList<Setting> settings)
    {
        _resources = resources;
        Workloads = workloads;
        Settings = settings;
    }

    public IReadOnlyList<Workload> Workloads { get; }

    public IReadOnlyList<Setting> Settings { get; }

    /// <summary>Settings that go into a URL as they are (see <see cref="Resolve"/>).</summary>
    public IReadOnlyCollection<string> UrlSafeSettings => _urlSafe;

    public static DeploymentModel Read(string manifestPath, DistributedApplicationModel model, string imageRegistry, string imageTag)
    {
        using var manifest = JsonDocument.Parse(File.ReadAllText(manifestPath));
        var resources = manifest.RootElement.GetProperty("resources").Clone();
        var workloads = new List<Workload>();
        var settings = new List<Setting>();
        foreach (var entry in resources.EnumerateObject())
        {
            var type = entry.Value.GetProperty("type").GetString();
            if (type == "parameter.v0")
            {
                var input = entry.Value.GetProperty("inputs").GetProperty("value");
                var plainDefault = input.TryGetProperty("default", out var given) && given.TryGetProperty("value", out var value) ? value.GetString() : null;
                var secret = input.TryGetProperty("secret", out var isSecret) && isSecret.GetBoolean();
                settings.Add(new Setting(entry.Name, secret || plainDefault is null, plainDefault));
            }
            else if (type is "project.v0" or "container.v0")
            {
                var resource = model.Resources.Single(r => r.Name == entry.Name);
                workloads.Add(ReadWorkload(entry.Name, entry.Value, resource, type == "project.v0" ? $"{imageRegistry}/{entry.Name}:{imageTag}" : null));
            }
            else if (type is not ("value.v0" or "annotated.string"))
            {
                throw new InvalidOperationException($"Resource '{entry.Name}' ({type}) has no Kubernetes form.");
            }
        }
        return new DeploymentModel(resources, workloads, settings);
    }

    private static Workload ReadWorkload(string name, JsonElement entry, IResource resource, string? projectImage)
    {
        var bindings = entry.TryGetProperty("bindings", out var written)
            ? written.EnumerateObject().Select(b => new Binding(
                b.Name,
                b.Value.GetProperty("scheme").GetString()!,
                b.Value.GetProperty("protocol").GetString()!.ToUpperInvariant(),
                b.Value.TryGetProperty("targetPort", out var port) ? port.GetInt32() : throw new InvalidOperationException($"Binding '{b.Name}' of '{name}' has no target port."),
                b.Value.TryGetProperty("external", out var external) && external.GetBoolean())).ToList()
            : [];
        var environment = entry.TryGetProperty("env", out var env)
            ? env.EnumerateObject().Select(p => KeyValuePair.Create(p.Name, p.Value.GetString()!)).ToList()
            : [];
        var arguments = entry.TryGetProperty("args", out var args) ? args.EnumerateArray().Select(a => a.GetString()!).ToList() : [];
        var volumes = resource.Annotations.OfType<PersistentFolderAnnotation>().ToList();
        if (entry.TryGetProperty("volumes", out var containerVolumes))
        {
            // Aspire names volumes for Docker (app, hash, resource); a claim template wants a short DNS label.
            volumes.AddRange(containerVolumes.EnumerateArray().Select((v, i) =>
                new PersistentFolderAnnotation(i == 0 ? "data" : $"data-{i + 1}", v.GetProperty("target").GetString()!)));
        }
        var image = projectImage ?? entry.GetProperty("image").GetString()!;
        return new Workload(name, image, projectImage is not null, bindings, environment, arguments, volumes,
            resource.Annotations.OfType<HostPortRangeAnnotation>().Select(a => a.Range).ToList(),
            resource is MongoReplicaSetResource);
    }

    /// <summary>
    /// The workloads and ports <paramref name="caller"/> connects to: every binding its settings name, directly or
    /// through a connection string.
    /// </summary>
    public IReadOnlySet<(string Workload, string Binding)> Reaches(Workload caller)
    {
        var reached = new HashSet<(string, string)>();
        void Walk(string expression, int depth)
        {
            if (depth > 8) throw new InvalidOperationException($"Expression '{expression}' refers to itself.");
            foreach (var reference in ManifestExpressions.References(expression))
            {
                var target = _resources.GetProperty(reference.Resource);
                if (reference.Endpoint is { } binding) reached.Add((reference.Resource, binding));
                else if (reference.Property == "connectionString") Walk(target.GetProperty("connectionString").GetString()!, depth + 1);
                else if (target.GetProperty("type").GetString() == "annotated.string") Walk(target.GetProperty("value").GetString()!, depth + 1);
            }
        }
        foreach (var value in caller.Environment.Select(e => e.Value).Concat(caller.Arguments)) Walk(value, 0);
        reached.RemoveWhere(r => r.Item1 == caller.Name);
        return reached;
    }

    /// <summary>
    /// Resolves Aspire's manifest expressions for the cluster: a binding to the Service named after its resource on
    /// its target port, a connection string to what it is made of, a setting to its default or to
    /// <c>$(VARIABLE)</c>, a variable read from the Secret (Kubernetes expands it), which <paramref name="secrets"/>
    /// collects.
    /// </summary>
    public string Resolve(string expression, Dictionary<string, string> secrets, int depth = 0)
    {
        if (depth > 8) throw new InvalidOperationException($"Expression '{expression}' refers to itself.");
        return ManifestExpressions.Evaluate(expression, reference =>
        {
            var target = _resources.GetProperty(reference.Resource);
            switch (reference.Property)
            {
                case "connectionString":
                    return Resolve(target.GetProperty("connectionString").GetString()!, secrets, depth + 1);
                case "value" when target.GetProperty("type").GetString() == "annotated.string":
                    // Aspire URI-encodes a secret that goes into a URL (RabbitMQ's password). Kubernetes cannot encode
                    // the value it expands, so such a secret must need no encoding: secrets.env.example says so.
                    var filtered = target.GetProperty("value").GetString()!;
                    var annotated = Resolve(filtered, secrets, depth + 1);
                    foreach (var name in ManifestExpressions.References(filtered).Select(r => r.Resource)) _urlSafe.Add(name);
                    return annotated.Contains("$(", StringComparison.Ordinal) ? annotated : Uri.EscapeDataString(annotated);
                case "value":
                    var setting = Settings.Single(s => s.Name == reference.Resource);
                    if (!setting.FromSecret) return setting.Default!;
                    var variable = "SPOKES_SECRET_" + setting.Name.Replace('-', '_').ToUpperInvariant();
                    secrets[variable] = setting.Name;
                    return $"$({variable})";
                default:
                    var binding = Workloads.Single(w => w.Name == reference.Resource).Binding(reference.Endpoint!);
                    return ManifestExpressions.EndpointProperty(binding, reference.Property, reference.Resource);
            }
        });
    }
}
