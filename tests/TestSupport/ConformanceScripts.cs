using System.Diagnostics;

namespace Spokes.TestSupport;

/// <summary>The Node scripts of <c>tests/conformance</c> that .NET tests run as real third-party peers.</summary>
public static class ConformanceScripts
{
    /// <summary>Starts <c>node {script} {arguments}</c> there, its standard streams redirected, once <paramref name="package"/> is installed.</summary>
    public static Process Start(string package, string script, params string[] arguments)
    {
        var folder = Path.Combine(BuildLayout.RepositoryRoot, "tests", "conformance");
        if (!Directory.Exists(Path.Combine(folder, "node_modules", package)))
            throw new InvalidOperationException($"{package} is not installed: run `npm ci` in {folder} (tests/run.sh does).");
        return Process.Start(new ProcessStartInfo("node", [script, .. arguments])
        {
            WorkingDirectory = folder,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException("node could not be started.");
    }
}
