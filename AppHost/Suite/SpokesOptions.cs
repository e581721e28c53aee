namespace Spokes.AppHost.Suite;

public enum Profile { Local, Containers }

/// <summary>A mistake in how the suite was started: its message is the one line to show.</summary>
public sealed class SetupException(string message, int exitCode = 1) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}

/// <summary>
/// The suite's own options, given on the AppHost's command line beside Aspire's (<c>--publisher</c>,
/// <c>--output-path</c> …, which Aspire reads itself). Aspire would take any unknown <c>--name value</c> as a
/// setting and say nothing, so a typo here would silently change nothing: every option is checked.
/// </summary>
public sealed record SpokesOptions
{
    public Profile? Profile { get; init; }
    public string DataFolder { get; init; } = Path.GetFullPath(".spokes-data");
    public int Port { get; init; } = 8080;
    public string? PublicUrl { get; init; }

    /// <summary>An edge that publishes the Gateway (<c>--tunnel</c>): the suite needs no port forwarding.</summary>
    public TunnelOptions? Tunnel { get; init; }
    public int DashboardPort { get; init; } = 18888;

    /// <summary>LiveKit's UDP media ports (the containers profile and deployments publish them as they are).</summary>
    public PortRange VoicePorts { get; init; } = new(50000, 50499);

    /// <summary>Image registry prefix for the published Kubernetes YAML, e.g. <c>ghcr.io/acme</c>.</summary>
    public string ImageRegistry { get; init; } = "spokes";

    /// <summary>
    /// <c>--api-replicas N</c>: the Api as N processes behind one address (DCP's proxy, which spreads connections over
    /// them), to measure and test what holds across replicas. Null, the default: one Api on its own port, no proxy.
    /// </summary>
    public int? ApiReplicas { get; init; }

    /// <summary><c>rotate-master-password</c>: re-wrap the data folder's keys under a new master password, and start nothing.</summary>
    public bool RotateMasterPassword { get; init; }

    public string EffectivePublicUrl => (PublicUrl ?? Tunnel?.PublicUrl ?? $"http://localhost:{Port}").TrimEnd('/');

    public const string Usage = """
        Usage: dotnet run --project AppHost [-- OPTIONS]
               dotnet run --project AppHost -- --publisher manifest|kubernetes --output-path DIR [OPTIONS]
               dotnet run --project AppHost -- rotate-master-password [--data DIR]   (the suite stopped;
                                       the new password from SPOKES_NEW_MASTER_PASSWORD, else generated)

          --profile local|containers   how to run MongoDB, Redis, RabbitMQ, S3, LiveKit (default: containers
                                       when a Docker/Podman engine answers, else local)
          --data DIR                   where all state lives (default ./.spokes-data)
          --port N                     the Gateway's port (default 8080)
          --public-url URL             the URL users reach the Gateway at (default http://localhost:PORT)
          --dashboard-port N           the Aspire dashboard's port (default 18888; another free one if taken)
          --tunnel EDGE                publish the Gateway through a Spokes tunnel edge (HOST[:PORT], its tunnel
                                       port, 8443 by default): no port forwarding needed
          --tunnel-key TOKEN           the authentication token the edge's operator gave (with --tunnel)
          --tunnel-hostname H          the public hostname to serve (a name the token may claim); a URL
                                       (http://H:PORT) where the edge serves plain HTTP or another port. The public
                                       URL is https://H unless --public-url says otherwise. Without it, the edge
                                       is asked at start which hostname the token owns and where it serves it
          --tunnel-pin SHA256          the edge certificate's fingerprint, when it is not signed by a known CA
          --registry PREFIX            image prefix in the Kubernetes YAML (default spokes)
          --voice-ports FIRST-LAST     LiveKit's UDP media ports (default 50000-50499; TCP 7881 is its fallback)
          --api-replicas N             run N Api processes (1–8) behind one proxied address, as a deployment
                                       scales it (default: one Api on its own port, no proxy)

        The chat content is encrypted under SPOKES_MASTER_PASSWORD; without it a local run generates one into the
        user's secrets on a data folder's first start. A wrong one stops the AppHost before anything starts.
        """;

    /// <summary>Aspire's own switches (each may take a value) and the host's; Aspire reads them itself.</summary>
    private static readonly HashSet<string> AspireSwitches =
    [
        "--operation", "--publisher", "--step", "--list-steps", "--output-path", "--log-level", "--include-exception-details",
        "--clear-cache", "--yes", "--dcp-cli-path", "--dcp-container-runtime", "--dcp-dependency-check-timeout",
        "--dcp-dashboard-path", "--environment", "--contentRoot", "--applicationName",
    ];

    public static SpokesOptions Parse(IReadOnlyList<string> args)
    {
        var options = new SpokesOptions();
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            bool HasValue() => i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal);
            string Value() => HasValue() ? args[++i] : throw new SetupException($"{name} needs a value.", 2);
            int PortValue() => int.TryParse(Value(), out var port) && port is > 0 and < 65536
                ? port
                : throw new SetupException($"{name} must be a port number (1–65535).", 2);

            if (AspireSwitches.Contains(name) || (name.StartsWith("--", StringComparison.Ordinal) && name.Contains(':')))
            {
                // Aspire's own, or a setting written as --Section:Key value.
                if (HasValue()) i++;
                continue;
            }
            if (name.StartsWith("--", StringComparison.Ordinal) && name.Contains('='))
            {
                throw new SetupException($"Write '{name.Replace('=', ' ')}' rather than '{name}'.", 2);
            }
            options = name switch
            {
                "--profile" => options with
                {
                    Profile = Value() switch
                    {
                        "local" => Suite.Profile.Local,
                        "containers" => Suite.Profile.Containers,
                        var other => throw new SetupException($"--profile must be local or containers, not '{other}'.", 2),
                    },
                },
                "--data" => options with { DataFolder = Path.GetFullPath(Value()) },
                "--port" => options with { Port = PortValue() },
                "--dashboard-port" => options with { DashboardPort = PortValue() },
                "--public-url" => options with { PublicUrl = ParsePublicUrl(Value()) },
                "--tunnel" => options with { Tunnel = (options.Tunnel ?? new TunnelOptions()) with { Edge = Value() } },
                "--tunnel-key" => options with { Tunnel = (options.Tunnel ?? new TunnelOptions()) with { Key = Value() } },
                "--tunnel-hostname" => options with { Tunnel = (options.Tunnel ?? new TunnelOptions()) with { Hostname = TunnelOptions.ParseHostname(Value()) } },
                "--tunnel-pin" => options with { Tunnel = (options.Tunnel ?? new TunnelOptions()) with { Pin = Value() } },
                "--registry" => options with { ImageRegistry = Value().TrimEnd('/') },
                "--voice-ports" => options with { VoicePorts = PortRange.Parse(name, Value()) },
                "--api-replicas" => options with
                {
                    ApiReplicas = int.TryParse(Value(), out var replicas) && replicas is >= 1 and <= 8
                        ? replicas
                        : throw new SetupException($"{name} must be a number from 1 to 8.", 2),
                },
                // Earlier versions wrote `-- publish --publisher …`; the verb is now implied by --publisher.
                "publish" when i == 0 => options,
                "rotate-master-password" when i == 0 => options with { RotateMasterPassword = true },
                _ when name.StartsWith("--", StringComparison.Ordinal) => throw new SetupException($"Unknown option '{name}'. See --help.", 2),
                _ => throw new SetupException($"Unexpected argument '{name}'. See --help.", 2),
            };
        }
        options.Tunnel?.Validate();
        return options;
    }

    private static string ParsePublicUrl(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var url) && url.Scheme is "http" or "https" && url.AbsolutePath == "/"
            ? value.TrimEnd('/')
            : throw new SetupException($"--public-url must be an http(s) URL with no path, e.g. https://chat.example.com, not '{value}'.", 2);
}

/// <summary>A range of ports, both ends included.</summary>
public sealed record PortRange(int First, int Last)
{
    public static PortRange Parse(string option, string value)
    {
        var parts = value.Split('-');
        return parts.Length == 2 && int.TryParse(parts[0], out var first) && int.TryParse(parts[1], out var last)
               && first is > 1024 and < 65536 && last is > 1024 and < 65536 && first <= last && last - first < 10_000
            ? new PortRange(first, last)
            : throw new SetupException($"{option} must be FIRST-LAST, two ports above 1024 with FIRST ≤ LAST and at most 10000 ports, e.g. 50000-50499, not '{value}'.", 2);
    }

    public override string ToString() => $"{First}-{Last}";
}

/// <summary>
/// <c>--tunnel EDGE --tunnel-key TOKEN [--tunnel-hostname H] [--tunnel-pin SHA256]</c>: the Gateway served on the edge
/// under <see cref="Hostname"/> by a <c>spokes-tunnel</c> resource; without H, the token's own hostname (asked of the
/// edge at start, <see cref="PublicTunnel.WithTunnelHostname"/>).
/// </summary>
public sealed record TunnelOptions
{
    public string Edge { get; init; } = "";
    public string Key { get; init; } = "";

    /// <summary>The public URL's origin: https://H for a bare hostname, or the URL given; null until the edge is asked.</summary>
    public Uri? Hostname { get; init; }

    public string? Pin { get; init; }

    public string PublicUrl => Hostname!.GetLeftPart(UriPartial.Authority);

    /// <summary>A hostname (served over HTTPS on 443) or an http(s) URL with no path.</summary>
    public static Uri ParseHostname(string value) =>
        (value.Contains("://", StringComparison.Ordinal) ? value : $"https://{value}") is var text
        && Uri.TryCreate(text, UriKind.Absolute, out var url) && url.Scheme is "http" or "https" && url.AbsolutePath == "/"
        && url.HostNameType == UriHostNameType.Dns
            ? url
            : throw new SetupException($"--tunnel-hostname must be a host name (chat.example.com) or an http(s) URL with no path, not '{value}'.", 2);

    public void Validate()
    {
        if (Edge.Length == 0 || Key.Length == 0)
            throw new SetupException("--tunnel needs --tunnel-key TOKEN with it (--tunnel-key, --tunnel-hostname and --tunnel-pin need --tunnel).", 2);
    }
}
