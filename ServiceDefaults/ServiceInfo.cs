using System.Reflection;

namespace Spokes.ServiceDefaults;

public static class ServiceInfo
{
    /// <summary>The running service's version (its informational version without the commit suffix).</summary>
    public static string Version { get; } =
        (Assembly.GetEntryAssembly()?.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0")
        .Split('+')[0];
}
