using Microsoft.Extensions.Configuration;
using Spokes.AppHost.Hosting;

namespace Spokes.TestSupport;

/// <summary>
/// One backing server (and whatever it needs) started by the AppHost's local-profile resources in a data
/// folder of its own, on free loopback ports. Disposing stops every process it started and deletes the folder.
/// </summary>
public sealed class LocalServer : IAsyncDisposable
{
    private readonly TemporaryFolder _folder;
    private readonly RunContext _context;
    private readonly List<Resource> _started = [];

    private LocalServer(TemporaryFolder folder, DistributedApplicationBuilder builder, Resource resource)
    {
        _folder = folder;
        Builder = builder;
        Resource = resource;
        _context = new RunContext(folder.Path, builder.Resources, (r, line) => r.Logs.Add(line), containerEngine: null);
    }

    public DistributedApplicationBuilder Builder { get; }

    public Resource Resource { get; }

    public string DataFolder => _folder.Path;

    public string ConnectionString => _context.Evaluate(
        Resource.ConnectionStringExpression ?? throw new InvalidOperationException($"{Resource.Name} has no connection string."));

    public static async Task<LocalServer> StartAsync(Func<DistributedApplicationBuilder, Resource> add)
    {
        var folder = new TemporaryFolder("spokes-server");
        var builder = new DistributedApplicationBuilder(
            new AppHostOptions { DataFolder = folder.Path, Profile = Profile.Local },
            new ConfigurationBuilder().Build(),
            containerEngine: null);
        var server = new LocalServer(folder, builder, add(builder));
        try
        {
            ResourceRunner.AllocatePorts(builder.Resources.Values.Where(r => r.IsRunnable));
            await server.StartAgainAsync();
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Starts the server, after what it depends on, (again, after <see cref="StopAsync"/>) on the same
    /// ports and data.
    /// </summary>
    public Task StartAgainAsync() => StartWithDependenciesAsync(Resource);

    private async Task StartWithDependenciesAsync(Resource resource)
    {
        if (_started.Contains(resource)) return;
        foreach (var dependency in resource.Dependencies) await StartWithDependenciesAsync(dependency);
        _started.Add(resource);
        var result = await ResourceRunner.StartAsync(resource, _context, CancellationToken.None);
        if (!result.Healthy)
        {
            throw new InvalidOperationException(
                $"{resource.Name} did not start ({result.Description}):{Environment.NewLine}{string.Join(Environment.NewLine, resource.Logs.Tail(30))}");
        }
    }

    /// <summary>Stops the server itself; what it depends on keeps running.</summary>
    public Task StopAsync() => StopAsync(Resource);

    /// <summary>Stops one of the resources started for the server (e.g. its Redis); the others keep running.</summary>
    public async Task StopAsync(Resource resource)
    {
        await resource.StopAsync(TimeSpan.FromSeconds(10));
        _started.Remove(resource);
    }

    /// <summary>Starts a resource stopped with <see cref="StopAsync(Resource)"/> again, on the same ports and data.</summary>
    public Task StartAgainAsync(Resource resource) => StartWithDependenciesAsync(resource);

    public async ValueTask DisposeAsync()
    {
        // Last started, first stopped: dependents before their dependencies.
        for (var i = _started.Count - 1; i >= 0; i--) await _started[i].StopAsync(TimeSpan.FromSeconds(10));
        _started.Clear();
        _folder.Dispose();
    }
}
