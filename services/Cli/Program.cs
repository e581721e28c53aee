using System.CommandLine;
using Grpc.Core;
using Spokes.Cli;
using Spokes.Contracts.Tunnels.V1;

// `spokes`: the operator's command line for a Spokes tunnel edge (registration and authentication tokens,
// tunnels, ports, housekeeping), over the edge's admin API.
var url = new Option<string>("--url") { Description = "The edge's admin API (default: SPOKES_ADMIN_URL, or listen.admin of --config).", Recursive = true };
var key = new Option<string>("--key") { Description = "The admin key (default: SPOKES_ADMIN_KEY, or the edge's admin.key).", Recursive = true };
var edgeConfig = new Option<string>("--config") { Description = "The edge's configuration file (default /etc/spokes/config.json).", Recursive = true };
var root = new RootCommand("Spokes administration: tunnel tokens, tunnels, ports and housekeeping.") { url, key, edgeConfig };

var id = new Option<long>("--id") { Description = "The id to remove." };
var all = new Option<bool>("--all") { Description = "Remove every one." };

// Registration tokens
var registrationList = new Command("ls", "Lists registration tokens.");
registrationList.SetAction((parse, ct) => Run(parse, async admin =>
{
    Console.Write(RegistrationTable((await admin.ListRegistrationsAsync(new Empty(), cancellationToken: ct)).Registrations));
}));
var description = new Option<string>("--description") { Description = "Who or what the token is for.", DefaultValueFactory = _ => "" };
var registrationCreate = new Command("create", "Creates a registration token (clients exchange it for an authentication token).") { description };
registrationCreate.SetAction((parse, ct) => Run(parse, async admin =>
{
    var created = await admin.CreateRegistrationAsync(new CreateRegistrationRequest { Description = parse.GetValue(description)! }, cancellationToken: ct);
    Console.Write(RegistrationTable([created]));
}));
var registrationRemove = new Command("rm", "Removes a registration token (--id) or all of them (--all).") { id, all };
registrationRemove.SetAction((parse, ct) => Run(parse, async admin =>
{
    var removed = await admin.RemoveRegistrationsAsync(RemoveRequest(parse), cancellationToken: ct);
    Console.WriteLine($"Removed {removed.Removed} registration token(s).");
}));
root.Subcommands.Add(new Command("registration", "Registration tokens.") { registrationList, registrationCreate, registrationRemove });

// Authentication tokens
var hostname = new Option<string>("--hostname") { Description = "The tunnel's hostname (a label under the edge's domain, or a full name under it)." };
var tokenCreate = new Command("create", "Creates an authentication token and its tunnel.") { hostname };
tokenCreate.SetAction((parse, ct) => Run(parse, async admin =>
{
    var t = await admin.CreateTokenAsync(new CreateTokenRequest { Hostname = parse.GetValue(hostname) ?? "" }, cancellationToken: ct);
    Console.Write(TokenTable([t], expand: true));
}));
var expand = new Option<bool>("--expand") { Description = "Show whole tokens." };
var tokenList = new Command("ls", "Lists authentication tokens.") { expand };
tokenList.SetAction((parse, ct) => Run(parse, async admin =>
    Console.Write(TokenTable((await admin.ListTokensAsync(new Empty(), cancellationToken: ct)).Tokens, parse.GetValue(expand)))));
var tokenRemove = new Command("rm", "Disables a token (--id) or all (--all); their tunnels shut down at once.") { id, all };
tokenRemove.SetAction((parse, ct) => Run(parse, async admin =>
{
    var removed = await admin.RemoveTokensAsync(RemoveRequest(parse), cancellationToken: ct);
    Console.WriteLine($"Removed {removed.Removed} authentication token(s); their tunnels are shut down.");
}));
root.Subcommands.Add(new Command("token", "Authentication tokens.") { tokenCreate, tokenList, tokenRemove });

// Tunnels and ports
var online = new Option<bool>("--online") { Description = "Only tunnels online now." };
var everything = new Option<bool>("--all") { Description = "Shut-down and deleted tunnels too." };
var tunnelList = new Command("ls", "Lists tunnels.") { online, everything };
tunnelList.SetAction((parse, ct) => Run(parse, async admin =>
{
    var table = new Table("ID", "User", "Hostname", "Online", "Address", "Uptime", "Daily", "Monthly", "Created");
    var request = new ListTunnelsRequest { Online = parse.GetValue(online), All = parse.GetValue(everything) };
    foreach (var t in (await admin.ListTunnelsAsync(request, cancellationToken: ct)).Tunnels)
    {
        table.Add(t.Id.ToString(), t.User, t.Hostname, t.Online ? "yes" : t.State is "Shutdown" or "Deleted" ? t.State.ToLowerInvariant() : "no",
            t.Address, Table.Duration(t.UptimeSeconds), Table.Bytes(t.DailyBytes), Table.Bytes(t.MonthlyBytes), Table.Time(t.Created));
    }
    Console.Write(table);
}));
root.Subcommands.Add(new Command("tunnel", "Tunnels.") { tunnelList });

var portList = new Command("ls", "Lists allocated TCP ports.");
portList.SetAction((parse, ct) => Run(parse, async admin =>
{
    var table = new Table("Port", "User", "Tunnel ID", "Online", "Uptime", "Bandwidth");
    foreach (var p in (await admin.ListPortsAsync(new Empty(), cancellationToken: ct)).Ports)
        table.Add(p.Port_.ToString(), p.User, p.TunnelId.ToString(), Table.YesNo(p.Online), Table.Duration(p.UptimeSeconds), Table.Bytes(p.MonthlyBytes));
    Console.Write(table);
}));
root.Subcommands.Add(new Command("port", "TCP ports.") { portList });

var check = new Option<bool>("--check") { Description = "Only list what would be fixed." };
var clean = new Command("clean", "Deletes tunnels whose token was removed and frees orphaned ports.") { check };
clean.SetAction((parse, ct) => Run(parse, async admin =>
{
    var reply = await admin.CleanAsync(new CleanRequest { Check = parse.GetValue(check) }, cancellationToken: ct);
    if (reply.Issues.Count > 0)
    {
        var table = new Table("Kind", "ID", "Issue");
        foreach (var issue in reply.Issues) table.Add(issue.Kind, issue.Subject, issue.Reason);
        Console.Write(table);
    }
    Console.WriteLine(parse.GetValue(check) ? $"Issues Found (tunnels + ports): {reply.Issues.Count}" : $"Issues Fixed (tunnels + ports): {reply.Fixed}");
}));
root.Subcommands.Add(clean);
EdgeCommands.Add(root, Run);

return await root.Parse(args).InvokeAsync();

RemoveRequest RemoveRequest(ParseResult parse) =>
    parse.GetValue(all) ? new RemoveRequest { All = true }
    : parse.GetValue(id) is > 0 and var one ? new RemoveRequest { Id = one }
    : throw new CliException("Give --id ID or --all.");

static Table RegistrationTable(IEnumerable<Registration> registrations)
{
    var table = new Table("ID", "Token", "Description", "Uses", "Created");
    foreach (var r in registrations) table.Add(r.Id.ToString(), r.Token, r.Description, r.Uses.ToString(), Table.Time(r.Created));
    return table;
}

static Table TokenTable(IEnumerable<AuthToken> tokens, bool expand)
{
    var table = new Table("ID", "Token", "Hostname", "Tunnel ID", "Active", "Created");
    foreach (var t in tokens)
        table.Add(t.Id.ToString(), expand ? t.Token : t.Token[..8] + "…", t.Hostname, t.TunnelId.ToString(), Table.YesNo(t.Active), Table.Time(t.Created));
    return table;
}

// Runs a command against the admin API; problems become one line on stderr and exit code 1.
async Task<int> Run(ParseResult parse, Func<TunnelAdmin.TunnelAdminClient, Task> command)
{
    try
    {
        await command(AdminConnection.Open(parse.GetValue(url), parse.GetValue(key), parse.GetValue(edgeConfig)));
        return 0;
    }
    catch (CliException e)
    {
        Console.Error.WriteLine(e.Message);
        return 1;
    }
    catch (RpcException e)
    {
        Console.Error.WriteLine(e.StatusCode == StatusCode.Unavailable ? $"The edge's admin API does not answer: {e.Status.Detail}" : e.Status.Detail);
        return 1;
    }
}
