using Spokes.AppHost.Hosting;

namespace Spokes.Benchmarks;

/// <summary>The processes a benchmark measures: built services (or this program as a ceiling), each as the AppHost runs one.</summary>
public static class Children
{
    /// <summary>Starts <c>NAME.dll</c> from its build folder beside this program's (same configuration).</summary>
    public static ManagedProcess Start(string assemblyName, string[] arguments, Dictionary<string, string> environment, string owner) =>
        Start(assemblyName, assemblyName, arguments, environment, owner);

    /// <summary>Starts <c>ASSEMBLY.dll</c> of the project <paramref name="projectName"/> (whose assembly is named otherwise).</summary>
    public static ManagedProcess Start(string projectName, string assemblyName, string[] arguments, Dictionary<string, string> environment, string owner)
    {
        var configuration = Path.GetFileName(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory));
        var folder = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", projectName, configuration));
        var dll = Path.Combine(folder, assemblyName + ".dll");
        if (!File.Exists(dll)) throw new FileNotFoundException($"{dll} is missing: build the solution first (dotnet build).");
        return ManagedProcess.Start(new ProcessSpec("dotnet", [dll, .. arguments]) { Environment = environment, WorkingDirectory = folder },
            owner, line => { if (line.Contains("fail", StringComparison.OrdinalIgnoreCase)) Console.Error.WriteLine(line); });
    }

    public static async Task WaitForAsync(string url)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        for (var attempt = 0; attempt < 300; attempt++)
        {
            try
            {
                if ((await http.GetAsync(url)).IsSuccessStatusCode) return;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"{url} did not answer within 30 s");
    }
}
