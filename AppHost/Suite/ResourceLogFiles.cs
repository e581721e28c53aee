using System.Collections.Concurrent;
using System.Text.RegularExpressions;

namespace Spokes.AppHost.Suite;

/// <summary>
/// Every resource's output in <c>DATA/logs/NAME.log</c>: the dashboard keeps console logs only while it runs,
/// and a home server's operator reads yesterday's logs from files. A resource run as several replicas writes one file,
/// each line led by its replica's instance name. Keeps each resource's last lines for the start-up report.
/// </summary>
public sealed partial class ResourceLogFiles(SpokesSuite suite, ResourceNotificationService notifications, ResourceLoggerService logs)
{
    private const int TailLength = 60;
    private readonly ConcurrentDictionary<string, ConcurrentQueue<string>> _tails = new();
    private readonly Dictionary<string, LogFile> _files = [];
    private readonly HashSet<string> _copied = [];

    public string FileOf(string resource) => Path.Combine(suite.DataFolder, "logs", resource + ".log");

    public IReadOnlyList<string> Tail(string resource) =>
        _tails.TryGetValue(resource, out var tail) ? [.. tail] : [];

    /// <summary>Copies each resource's output from when it is first seen (Aspire adds the dashboard's while it starts).</summary>
    public async Task RunAsync(CancellationToken stoppingToken)
    {
        Directory.CreateDirectory(Path.Combine(suite.DataFolder, "logs"));
        var copies = new List<Task>();
        try
        {
            await foreach (var change in notifications.WatchAsync(stoppingToken))
            {
                var resource = change.Resource;
                if (resource is not ParameterResource && !resource.IsHiddenHelper() && _copied.Add(change.ResourceId))
                {
                    var replicated = resource.TryGetLastAnnotation<ReplicaAnnotation>(out var replicas) && replicas.Replicas > 1;
                    copies.Add(CopyAsync(resource.Name, change.ResourceId, replicated ? $"[{change.ResourceId}] " : "", stoppingToken));
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The AppHost is stopping.
        }
        // A file is shared by a resource's replicas: closed once every copy has ended.
        try
        {
            await Task.WhenAll(copies);
        }
        finally
        {
            foreach (var file in _files.Values) await file.DisposeAsync();
        }
    }

    /// <summary>Aspire keeps a resource's output under its instance's id (DCP's name for it).</summary>
    private async Task CopyAsync(string resource, string resourceId, string prefix, CancellationToken cancellationToken)
    {
        var tail = _tails.GetOrAdd(resource, _ => new ConcurrentQueue<string>());
        try
        {
            await foreach (var batch in logs.WatchAsync(resourceId).WithCancellation(cancellationToken))
            {
                // Made with the first line: a connection string or a parameter writes none.
                var file = FileFor(resource);
                // The services colour their console output for the dashboard; a file wants the text.
                var lines = batch.Select(line => prefix + AnsiEscape().Replace(line.Content, "")).ToList();
                await file.WriteAsync(lines, cancellationToken);
                foreach (var text in lines) tail.Enqueue(text);
                while (tail.Count > TailLength) tail.TryDequeue(out _);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The AppHost is stopping.
        }
    }

    private LogFile FileFor(string resource)
    {
        lock (_files)
        {
            if (!_files.TryGetValue(resource, out var file)) _files[resource] = file = new LogFile(FileOf(resource));
            return file;
        }
    }

    /// <summary>One resource's file, written by each of its replicas in turn, a batch of lines at a time.</summary>
    private sealed class LogFile(string path) : IAsyncDisposable
    {
        private readonly StreamWriter _writer = new(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read)) { AutoFlush = true };
        private readonly SemaphoreSlim _turn = new(1, 1);

        public async Task WriteAsync(IReadOnlyList<string> lines, CancellationToken cancellationToken)
        {
            await _turn.WaitAsync(cancellationToken);
            try
            {
                foreach (var line in lines) await _writer.WriteLineAsync(line);
            }
            finally
            {
                _turn.Release();
            }
        }

        public ValueTask DisposeAsync() => _writer.DisposeAsync();
    }

    [GeneratedRegex("\x1b\\[[0-9;]*m")]
    private static partial Regex AnsiEscape();
}
