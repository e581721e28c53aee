using System.Collections.Concurrent;
using System.Text.RegularExpressions;

namespace Spokes.AppHost.Suite;

/// <summary>
/// Every resource's output in <c>DATA/logs/NAME.log</c>: the dashboard keeps console logs only while it runs,
/// and a home server's operator reads yesterday's logs from files. Keeps each resource's last lines for the
/// start-up report.
/// </summary>
public sealed partial class ResourceLogFiles(SpokesSuite suite, ResourceNotificationService notifications, ResourceLoggerService logs)
{
    private const int TailLength = 60;
    private readonly ConcurrentDictionary<string, ConcurrentQueue<string>> _tails = new();

    public string FileOf(string resource) => Path.Combine(suite.DataFolder, "logs", resource + ".log");

    public IReadOnlyList<string> Tail(string resource) =>
        _tails.TryGetValue(resource, out var tail) ? [.. tail] : [];

    /// <summary>Copies each resource's output from when it is first seen (Aspire adds the dashboard's while it starts).</summary>
    public async Task RunAsync(CancellationToken stoppingToken)
    {
        Directory.CreateDirectory(Path.Combine(suite.DataFolder, "logs"));
        try
        {
            await foreach (var change in notifications.WatchAsync(stoppingToken))
            {
                var resource = change.Resource;
                if (resource is not ParameterResource && !resource.IsHiddenHelper() && _tails.TryAdd(resource.Name, new ConcurrentQueue<string>()))
                {
                    _ = CopyAsync(resource.Name, change.ResourceId, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The AppHost is stopping.
        }
    }

    /// <summary>Aspire keeps a resource's output under its instance's id (DCP's name for it).</summary>
    private async Task CopyAsync(string resource, string resourceId, CancellationToken cancellationToken)
    {
        var tail = _tails[resource];
        StreamWriter? file = null;
        try
        {
            await foreach (var batch in logs.WatchAsync(resourceId).WithCancellation(cancellationToken))
            {
                // Made with the first line: a connection string or a parameter writes none.
                file ??= new StreamWriter(new FileStream(FileOf(resource), FileMode.Append, FileAccess.Write, FileShare.Read)) { AutoFlush = true };
                foreach (var line in batch)
                {
                    // The services colour their console output for the dashboard; a file wants the text.
                    var text = AnsiEscape().Replace(line.Content, "");
                    await file.WriteLineAsync(text);
                    tail.Enqueue(text);
                    while (tail.Count > TailLength) tail.TryDequeue(out _);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The AppHost is stopping.
        }
        finally
        {
            if (file is not null) await file.DisposeAsync();
        }
    }

    [GeneratedRegex("\x1b\\[[0-9;]*m")]
    private static partial Regex AnsiEscape();
}
