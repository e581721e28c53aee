namespace Spokes.AppHost.Hosting;

public enum Profile { Local, Containers }

public enum Publisher { Manifest, Kubernetes }

/// <summary>The AppHost's command line: <c>[publish --publisher manifest|kubernetes --output-path DIR] [options]</c>.</summary>
public sealed record AppHostOptions
{
    public Profile? Profile { get; init; }
    public string DataFolder { get; init; } = Path.GetFullPath(".spokes-data");
    public int Port { get; init; } = 8080;
    public string? PublicUrl { get; init; }
    public int DashboardPort { get; init; } = 18888;
    public Publisher? Publisher { get; init; }
    public string? OutputPath { get; init; }

    /// <summary>Image registry prefix for the published manifests, e.g. <c>ghcr.io/acme</c>.</summary>
    public string ImageRegistry { get; init; } = "spokes";

    public bool IsPublishing => Publisher is not null;

    public string EffectivePublicUrl => (PublicUrl ?? $"http://localhost:{Port}").TrimEnd('/');

    public const string Usage = """
        Usage: dotnet run --project AppHost [-- OPTIONS]
               dotnet run --project AppHost -- publish --publisher manifest|kubernetes --output-path DIR

          --profile local|containers   how to run MongoDB, Redis, RabbitMQ, S3, LiveKit (default: containers
                                       when a Docker/Podman engine answers, else local)
          --data DIR                   where all state lives (default ./.spokes-data)
          --port N                     the Gateway's port (default 8080)
          --public-url URL             the URL users reach the Gateway at (default http://localhost:PORT)
          --dashboard-port N           the dashboard's port (default 18888; another free one if taken)
          --registry PREFIX            image prefix in published manifests (default spokes)
        """;

    public static AppHostOptions Parse(IReadOnlyList<string> args)
    {
        var options = new AppHostOptions();
        var publishing = args.Count > 0 && args[0] == "publish";
        for (var i = publishing ? 1 : 0; i < args.Count; i++)
        {
            string Value() => i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal)
                ? args[++i]
                : throw new ArgumentException($"{args[i]} needs a value.");
            int PortValue()
            {
                var name = args[i];
                return int.TryParse(Value(), out var port) && port is > 0 and < 65536
                    ? port
                    : throw new ArgumentException($"{name} must be a port number (1–65535).");
            }

            options = args[i] switch
            {
                "--profile" => options with
                {
                    Profile = Value() switch
                    {
                        "local" => Hosting.Profile.Local,
                        "containers" => Hosting.Profile.Containers,
                        var other => throw new ArgumentException($"--profile must be local or containers, not '{other}'."),
                    },
                },
                "--data" => options with { DataFolder = Path.GetFullPath(Value()) },
                "--port" => options with { Port = PortValue() },
                "--dashboard-port" => options with { DashboardPort = PortValue() },
                "--public-url" => options with { PublicUrl = ParsePublicUrl(Value()) },
                "--registry" => options with { ImageRegistry = Value().TrimEnd('/') },
                "--publisher" when publishing => options with
                {
                    Publisher = Value() switch
                    {
                        "manifest" => Hosting.Publisher.Manifest,
                        "kubernetes" => Hosting.Publisher.Kubernetes,
                        var other => throw new ArgumentException($"--publisher must be manifest or kubernetes, not '{other}'."),
                    },
                },
                "--output-path" when publishing => options with { OutputPath = Path.GetFullPath(Value()) },
                var unknown => throw new ArgumentException($"Unknown option '{unknown}'."),
            };
        }

        if (publishing && (options.Publisher is null || options.OutputPath is null))
        {
            throw new ArgumentException("publish needs --publisher manifest|kubernetes and --output-path DIR.");
        }
        return options;
    }

    private static string ParsePublicUrl(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var url) && url.Scheme is "http" or "https" && url.AbsolutePath == "/"
            ? value.TrimEnd('/')
            : throw new ArgumentException($"--public-url must be an http(s) URL with no path, e.g. https://chat.example.com, not '{value}'.");
}
