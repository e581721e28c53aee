namespace Spokes.AppHost.Hosting;

/// <summary>
/// Each resource's output: to the console with a coloured <c>name |</c> prefix, to <c>DATA/logs/NAME.log</c>,
/// and into its in-memory tail for the dashboard.
/// </summary>
public sealed class ResourceLogs : IDisposable
{
    private const long MaxFileBytes = 20 * 1024 * 1024;
    private static readonly ConsoleColor[] Colors =
    [
        ConsoleColor.Cyan, ConsoleColor.Green, ConsoleColor.Yellow, ConsoleColor.Magenta, ConsoleColor.Blue,
        ConsoleColor.DarkCyan, ConsoleColor.DarkGreen, ConsoleColor.DarkYellow, ConsoleColor.DarkMagenta,
    ];

    private readonly object _consoleGate = new();
    private readonly Dictionary<string, StreamWriter> _files = [];
    private readonly Dictionary<string, ConsoleColor> _colors = [];
    private readonly string _folder;
    private readonly int _width;

    public ResourceLogs(string dataFolder, IEnumerable<Resource> resources)
    {
        _folder = Path.Combine(dataFolder, "logs");
        Directory.CreateDirectory(_folder);
        var list = resources.ToList();
        _width = list.Count == 0 ? 8 : list.Max(r => r.Name.Length);
        for (var i = 0; i < list.Count; i++) _colors[list[i].Name] = Colors[i % Colors.Length];
    }

    public string FileOf(Resource resource) => Path.Combine(_folder, resource.Name + ".log");

    public void Write(Resource resource, string line)
    {
        resource.Logs.Add(line);
        lock (_consoleGate)
        {
            File(resource).WriteLine($"{DateTimeOffset.UtcNow:O} {line}");
            Console.ForegroundColor = _colors.GetValueOrDefault(resource.Name, ConsoleColor.Gray);
            Console.Write(resource.Name.PadRight(_width));
            Console.Write(" | ");
            Console.ResetColor();
            Console.WriteLine(line);
        }
    }

    /// <summary>A line of the AppHost's own, not prefixed.</summary>
    public void Status(string line, ConsoleColor? color = null)
    {
        lock (_consoleGate)
        {
            if (color is { } c) Console.ForegroundColor = c;
            Console.WriteLine(line);
            Console.ResetColor();
        }
    }

    private StreamWriter File(Resource resource)
    {
        if (_files.TryGetValue(resource.Name, out var writer)) return writer;
        var path = FileOf(resource);
        // One previous run is kept beside the current one.
        if (System.IO.File.Exists(path) && new FileInfo(path).Length > MaxFileBytes) System.IO.File.Move(path, path + ".1", overwrite: true);
        writer = new StreamWriter(path, append: true) { AutoFlush = true };
        writer.WriteLine($"{DateTimeOffset.UtcNow:O} ---- AppHost started {resource.Name} ----");
        return _files[resource.Name] = writer;
    }

    public void Dispose()
    {
        lock (_consoleGate)
        {
            foreach (var writer in _files.Values) writer.Dispose();
            _files.Clear();
        }
    }
}
