using Spokes.TestSupport;

namespace Spokes.Benchmarks;

/// <summary>The processes a benchmark measures: built services (or this program as a ceiling), each as the AppHost runs one.</summary>
public static class Children
{
    /// <summary>Starts <c>NAME.dll</c> from its build folder beside this program's (same configuration).</summary>
    public static ManagedProcess Start(string assemblyName, string[] arguments, Dictionary<string, string> environment, string owner) =>
        Start(assemblyName, assemblyName, arguments, environment, owner);

    /// <summary>Starts <c>ASSEMBLY.dll</c> of the project <paramref name="projectName"/> (whose assembly is named otherwise).</summary>
    public static ManagedProcess Start(string projectName, string assemblyName, string[] arguments, Dictionary<string, string> environment, string owner) =>
        Start(projectName, assemblyName, arguments, environment, owner, ReportFailures);

    /// <summary>As above, each line of its output to <paramref name="onLine"/>.</summary>
    public static ManagedProcess Start(string projectName, string assemblyName, string[] arguments, Dictionary<string, string> environment, string owner,
        Action<string> onLine)
    {
        var configuration = Path.GetFileName(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory));
        var folder = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", projectName, configuration));
        var dll = Path.Combine(folder, assemblyName + ".dll");
        if (!File.Exists(dll)) throw new FileNotFoundException($"{dll} is missing: build the solution first (dotnet build).");
        return ManagedProcess.Start(new ProcessSpec("dotnet", [dll, .. arguments]) { Environment = environment, WorkingDirectory = folder }, owner, onLine);
    }

    /// <summary>
    /// Runs <paramref name="benchmark"/> beside a real Redis and RabbitMQ, set up as the local profile sets them up,
    /// and stops them after it.
    /// </summary>
    public static async Task WithServersAsync(Func<RedisServer, RabbitMqServer, Task> benchmark)
    {
        var redis = new RedisServer();
        var rabbitmq = new RabbitMqServer();
        try
        {
            await redis.InitializeAsync();
            await rabbitmq.InitializeAsync();
            await benchmark(redis, rabbitmq);
        }
        finally
        {
            await rabbitmq.DisposeAsync();
            await redis.DisposeAsync();
        }
    }

    /// <summary>Starts a native program (a service published ahead-of-time).</summary>
    public static ManagedProcess StartNative(string program, string[] arguments, Dictionary<string, string> environment, string owner) =>
        Start(new ProcessSpec(program, arguments) { Environment = environment, WorkingDirectory = Path.GetDirectoryName(program) }, owner);

    private static ManagedProcess Start(ProcessSpec spec, string owner) => ManagedProcess.Start(spec, owner, ReportFailures);

    private static void ReportFailures(string line)
    {
        if (line.Contains("fail", StringComparison.OrdinalIgnoreCase)) Console.Error.WriteLine(line);
    }

    /// <summary>
    /// Publishes a service ahead-of-time, as its image is built, into <c>artifacts/publish/NAME-aot</c> and returns
    /// the program; null, with the reason printed, where this machine cannot (no clang, for one).
    /// </summary>
    public static async Task<string?> PublishAotAsync(string projectFolder, string assemblyName)
    {
        var output = Path.Combine(BuildLayout.RepositoryRoot, "artifacts", "publish", assemblyName + "-aot");
        var info = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "publish", Path.Combine(BuildLayout.RepositoryRoot, projectFolder), "-c", "Release", "-o", output })
            info.ArgumentList.Add(argument);
        using var publish = System.Diagnostics.Process.Start(info)!;
        var log = publish.StandardOutput.ReadToEndAsync();
        var errors = publish.StandardError.ReadToEndAsync();
        await publish.WaitForExitAsync();
        var program = Path.Combine(output, assemblyName);
        if (publish.ExitCode == 0 && File.Exists(program)) return program;
        var reason = (await log + await errors).Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault(l => l.Contains("error", StringComparison.OrdinalIgnoreCase));
        Console.WriteLine($"{assemblyName}: no ahead-of-time build ({reason?.Trim() ?? $"dotnet publish exited with {publish.ExitCode}"}).");
        return null;
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
