using System.CommandLine;

// `spokes`: the operator's command line. Its command groups (registration, token, tunnel, port, clean)
// arrive with the TunnelEdge admin API they drive; until then it answers --help and --version.
var root = new RootCommand("Spokes administration: tunnel tokens, tunnels, ports and housekeeping.");
return root.Parse(args).Invoke();
