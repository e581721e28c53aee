using System.Reflection;

namespace Spokes.TestSupport;

/// <summary>Where this checkout keeps its build outputs (artifacts layout, see Directory.Build.props).</summary>
public static class BuildLayout
{
    private static string Metadata(string key) =>
        typeof(BuildLayout).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == key).Value!;

    public static string RepositoryRoot { get; } = Metadata("RepositoryRoot");

    public static string Configuration { get; } = Metadata("BuildConfiguration");

    /// <summary>The build output of the project <paramref name="projectName"/> whose assembly is <paramref name="assemblyName"/>.</summary>
    public static string ProjectOutput(string projectName, string assemblyName) =>
        Path.Combine(RepositoryRoot, "artifacts", "bin", projectName, Configuration.ToLowerInvariant(), assemblyName + ".dll");

    public static string ProjectOutput(string assemblyName) => ProjectOutput(assemblyName, assemblyName);
}
