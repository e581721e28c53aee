using System.Reflection;

namespace Spokes.AppHost.Hosting;

/// <summary>Where this checkout keeps its build outputs (artifacts layout, see Directory.Build.props).</summary>
public static class BuildLayout
{
    private static string Metadata(string key) =>
        typeof(BuildLayout).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == key).Value!;

    public static string RepositoryRoot { get; } = Metadata("RepositoryRoot");

    public static string Configuration { get; } = Metadata("BuildConfiguration");

    /// <summary>The services run in the AppHost's own environment (Production unless DOTNET_ENVIRONMENT says otherwise).</summary>
    public static string EnvironmentName { get; } =
        Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT") is { Length: > 0 } name ? name : "Production";

    public static string ProjectOutput(string assemblyName) =>
        Path.Combine(RepositoryRoot, "artifacts", "bin", assemblyName, Configuration.ToLowerInvariant(), assemblyName + ".dll");
}
