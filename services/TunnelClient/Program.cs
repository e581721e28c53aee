using System.CommandLine;
using Spokes.Contracts.Tunnels;
using Spokes.TunnelClient;

// `spokes-tunnel`: publishes local HTTP and TCP services through a Spokes tunnel edge (Packetriot's `pktriot` role).
SocketCompletions.RunInline();
var configPath = new Option<string>("--config") { Description = "The client's configuration file.", Recursive = true, DefaultValueFactory = _ => ClientConfig.DefaultPath };
var root = new RootCommand("Publishes local HTTP and TCP services through a Spokes tunnel edge.") { configPath };

var edge = new Option<string>("--hostname") { Description = "The edge's tunnel address, HOST[:PORT] (port 8443 by default).", Required = true };
var registration = new Option<string>("--registration") { Description = "A registration token from the edge's operator." };
var user = new Option<string>("--id") { Description = "Your user id on the edge (with --registration)." };
var tunnelHostname = new Option<string>("--tunnel-hostname") { Description = "The hostname to ask for (with --registration)." };
var key = new Option<string>("--key") { Description = "An authentication token from the edge's operator." };
var pin = new Option<string>("--pin") { Description = "The edge certificate's SHA-256 fingerprint, trusted instead of the system's CAs." };
var configure = new Command("configure", "Registers this client with an edge (or stores a token) and saves the configuration.")
{
    edge, registration, user, tunnelHostname, key, pin,
};
configure.SetAction((parse, cancellationToken) => Run(parse, async config =>
{
    var (registrationToken, keyToken) = (parse.GetValue(registration), parse.GetValue(key));
    if (registrationToken is null == keyToken is null) throw new ClientException("Give either --registration TOKEN or --key TOKEN.");
    config.Hostname = parse.GetValue(edge)!;
    config.ServerKey = parse.GetValue(pin) ?? config.ServerKey;
    if (registrationToken is not null)
    {
        var registered = await EdgeConnection.AskAsync<Registered>(config.Hostname, config.ServerKey,
            new Register(registrationToken, parse.GetValue(user), parse.GetValue(tunnelHostname)), cancellationToken);
        (config.Key, config.TunnelId, config.TunnelHostname) = (registered.Token, registered.TunnelId, registered.Hostname);
        Console.WriteLine($"Registered: tunnel {registered.TunnelId}, hostname {registered.Hostname}.");
    }
    else
    {
        config.Key = keyToken;
        Console.WriteLine("Token stored.");
    }
    return true;
}));
root.Subcommands.Add(configure);

var domain = new Option<string>("--domain") { Description = "The public hostname (or *.wildcard) to serve.", Required = true };
var destination = new Option<string>("--destination") { Description = "The local host visitors are relayed to.", DefaultValueFactory = _ => "127.0.0.1" };
var httpPort = new Option<int>("--http") { Description = "The local HTTP port.", Required = true };
var httpAdd = new Command("add", "Serves a hostname from a local HTTP server (takes effect at the next start).") { domain, destination, httpPort };
httpAdd.SetAction((parse, _) => Run(parse, config =>
{
    var name = parse.GetValue(domain)!.Trim().TrimEnd('.').ToLowerInvariant();
    config.Https.RemoveAll(r => r.Domain == name);
    config.Https.Add(new HttpRoute { Domain = name, Destination = parse.GetValue(destination)!, Port = CheckedPort(parse.GetValue(httpPort)) });
    Console.WriteLine($"http://{name} -> {parse.GetValue(destination)}:{parse.GetValue(httpPort)}");
    return Task.FromResult(true);
}));
var httpRemove = new Command("rm", "Stops serving a hostname.") { domain };
httpRemove.SetAction((parse, _) => Run(parse, config =>
{
    var name = parse.GetValue(domain)!.Trim().ToLowerInvariant();
    if (config.Https.RemoveAll(r => r.Domain == name) == 0) throw new ClientException($"{name} is not a route of this client.");
    return Task.FromResult(true);
}));

var allocate = new Command("allocate", "Reserves a public TCP port on the edge for this tunnel.");
allocate.SetAction((parse, cancellationToken) => Run(parse, async config =>
{
    var allocated = await EdgeConnection.AskAsync<Allocated>(Configured(config), config.ServerKey, new Allocate(config.Key!), cancellationToken);
    config.Ports.Add(new TcpRoute { Port = allocated.Port });
    Console.WriteLine($"Port {allocated.Port} allocated. Forward it with: spokes-tunnel tunnel tcp forward --port {allocated.Port} --destination HOST --dstport PORT");
    return true;
}));
var port = new Option<int>("--port") { Description = "An allocated edge port.", Required = true };
var dstPort = new Option<int>("--dstport") { Description = "The local port.", Required = true };
var forward = new Command("forward", "Relays an allocated port to a local TCP service (takes effect at the next start).") { port, destination, dstPort };
forward.SetAction((parse, _) => Run(parse, config =>
{
    var route = config.Ports.FirstOrDefault(r => r.Port == parse.GetValue(port))
        ?? throw new ClientException($"Port {parse.GetValue(port)} is not allocated to this client: run `spokes-tunnel tunnel tcp allocate`.");
    (route.Destination, route.DstPort) = (parse.GetValue(destination), CheckedPort(parse.GetValue(dstPort)));
    Console.WriteLine($"tcp port {route.Port} -> {route.Destination}:{route.DstPort}");
    return Task.FromResult(true);
}));
root.Subcommands.Add(new Command("tunnel", "The tunnel's routes.")
{
    new Command("http", "HTTP routes by hostname.") { httpAdd, httpRemove },
    new Command("tcp", "TCP ports.") { allocate, forward },
});

var plaintextData = new Option<bool>("--plaintext-data")
{
    Description = "Relays visitors over data connections without TLS where the edge allows it (only when the network to the edge is trusted).",
};
var start = new Command("start", "Connects to the edge and serves the routes until stopped (reconnecting as needed).") { plaintextData };
start.SetAction((parse, cancellationToken) => Run(parse, async config =>
{
    Configured(config);
    config.PlaintextData |= parse.GetValue(plaintextData);
    await using var log = new QueuedLog(Console.Out);
    await new TunnelAgent(config, log.Write).RunAsync(cancellationToken);
    return false;
}));
root.Subcommands.Add(start);

var identify = new Command("identify", "Asks the edge which hostname the token owns and where visitors reach it (before starting).");
identify.SetAction((parse, cancellationToken) => Run(parse, async config =>
{
    var identified = await EdgeConnection.AskAsync<Identified>(Configured(config), config.ServerKey, new Identify(config.Key!), cancellationToken);
    (config.TunnelId, config.TunnelHostname) = (identified.TunnelId, identified.Hostname);
    // The AppHost's --tunnel reads this line.
    Console.WriteLine($"Public URL: {identified.PublicUrl}");
    Console.WriteLine($"Tunnel:     {identified.TunnelId} {identified.Hostname}");
    return true;
}));
root.Subcommands.Add(identify);

var info = new Command("info", "Shows the configuration (the token shortened).");
info.SetAction((parse, _) => Run(parse, config =>
{
    Console.WriteLine($"Edge:      {config.Hostname ?? "(not configured)"}");
    Console.WriteLine($"Tunnel:    {config.TunnelId?.ToString() ?? "-"} {config.TunnelHostname}");
    Console.WriteLine($"Token:     {(config.Key is { Length: > 8 } k ? k[..8] + "…" : "(none)")}");
    Console.WriteLine($"Pinned:    {config.ServerKey ?? "no (the system's CAs are trusted)"}");
    Console.WriteLine($"Data:      {(config.PlaintextData ? "without TLS where the edge allows it" : "TLS")}");
    foreach (var route in config.Https) Console.WriteLine($"HTTP:      {route.Domain} -> {route.Destination}:{route.Port}");
    foreach (var route in config.Ports) Console.WriteLine($"TCP:       {route.Port} -> {(route.Destination is null ? "(not forwarded)" : $"{route.Destination}:{route.DstPort}")}");
    return Task.FromResult(false);
}));
root.Subcommands.Add(info);

var deauth = new Command("deauth", "Forgets the authentication token (routes and ports stay in the file).");
deauth.SetAction((parse, _) => Run(parse, config =>
{
    config.Key = null;
    Console.WriteLine("The authentication token is removed from this client.");
    return Task.FromResult(true);
}));
root.Subcommands.Add(deauth);

return await root.Parse(args).InvokeAsync();

// Loads the file, runs the command, saves the file when the command changed it; problems become one line and exit code 1.
async Task<int> Run(ParseResult parse, Func<ClientConfig, Task<bool>> command)
{
    var path = parse.GetValue(configPath)!;
    try
    {
        var config = ClientConfig.Load(path);
        if (await command(config)) config.Save(path);
        return 0;
    }
    catch (ClientException e)
    {
        Console.Error.WriteLine(e.Message);
        return 1;
    }
    catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or System.Security.Authentication.AuthenticationException)
    {
        Console.Error.WriteLine($"Could not reach the edge: {e.Message}");
        return 1;
    }
    catch (OperationCanceledException)
    {
        return 0;
    }
}

static string Configured(ClientConfig config) => config is { Hostname: { } hostname, Key: not null }
    ? hostname
    : throw new ClientException("Not configured: run `spokes-tunnel configure --hostname EDGE --registration TOKEN` first.");

static int CheckedPort(int port) => port is > 0 and < 65536 ? port : throw new ClientException($"{port} is not a TCP port.");
