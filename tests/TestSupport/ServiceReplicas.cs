namespace Spokes.TestSupport;

/// <summary>
/// The processes of one service in a suite run, each at its own address: with <c>--api-replicas</c> the service's
/// address is a proxy that picks a replica per connection, so a test that must reach a given replica asks it here.
/// Found as <c>SuiteProcesses</c> finds a run's processes: by the mark they inherit (<see cref="ManagedProcess.OwnerVariable"/>).
/// </summary>
public static class ServiceReplicas
{
    /// <summary>
    /// The HTTP address each live process of <paramref name="program"/> (its built program's name, e.g. <c>Spokes.Api</c>)
    /// of the run <paramref name="owner"/> was told to listen on, in the order of their ports.
    /// </summary>
    public static IReadOnlyList<Uri> Of(string owner, string program)
    {
        var addresses = new List<Uri>();
        foreach (var dir in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out _)) continue;
            try
            {
                var commandLine = File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0');
                if (commandLine is not [var executable, ..] || Path.GetFileName(executable) != program) continue;
                var environment = File.ReadAllText(Path.Combine(dir, "environ")).Split('\0')
                    .Select(entry => entry.Split('=', 2)).Where(pair => pair.Length == 2)
                    .GroupBy(pair => pair[0]).ToDictionary(g => g.Key, g => g.Last()[1]);
                if (environment.GetValueOrDefault(ManagedProcess.OwnerVariable) != owner) continue;
                // Services with a gRPC port name their endpoints in Kestrel's settings; the others get ASPNETCORE_URLS.
                var listen = environment.GetValueOrDefault("Kestrel__Endpoints__http__Url")
                             ?? environment.GetValueOrDefault("ASPNETCORE_URLS")?.Split(';')[0];
                if (listen is null || !Uri.TryCreate(listen, UriKind.Absolute, out var url)) continue;
                // Kestrel listens on both loopbacks for "localhost"; the IPv4 one spares a client the name lookup.
                addresses.Add(new UriBuilder(url) { Host = url.IsLoopback ? "127.0.0.1" : url.Host }.Uri);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Gone meanwhile, or not ours to read.
            }
        }
        return [.. addresses.OrderBy(a => a.Port)];
    }
}
