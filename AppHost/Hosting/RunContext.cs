namespace Spokes.AppHost.Hosting;

/// <summary>What a resource needs while it runs: the data folder, the other resources, secrets, and logging.</summary>
public sealed class RunContext(
    string dataFolder,
    IReadOnlyDictionary<string, Resource> resources,
    Action<Resource, string> log,
    string? containerEngine)
{
    public string DataFolder { get; } = dataFolder;

    public IReadOnlyDictionary<string, Resource> Resources { get; } = resources;

    /// <summary><c>docker</c> or <c>podman</c> in the containers profile; null in the local profile.</summary>
    public string? ContainerEngine { get; } = containerEngine;

    /// <summary>Written into every child's environment so its processes can be recognised after a crash.</summary>
    public string Owner => DataFolder;

    public void Log(Resource resource, string line) => log(resource, line);

    public string Evaluate(string expression) => Expressions.EvaluateLocal(expression, Resources);

    public string ResourceFolder(string name)
    {
        var folder = Path.Combine(DataFolder, name);
        Directory.CreateDirectory(folder);
        return folder;
    }
}
