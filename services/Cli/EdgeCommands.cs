using System.CommandLine;
using Spokes.Contracts.Tunnels.V1;

namespace Spokes.Cli;

/// <summary>`spokes cert` (ACME certificates), `spokes access` (a tunnel's visitor controls) and `spokes ssh-keys` (the SSH front door's keys).</summary>
public static class EdgeCommands
{
    public delegate Task<int> AdminRunner(ParseResult parse, Func<TunnelAdmin.TunnelAdminClient, Task> command);

    public static void Add(RootCommand root, AdminRunner run)
    {
        var certificateList = new Command("ls", "Lists the edge's ACME certificates: state, expiry, last error.");
        certificateList.SetAction((parse, ct) => run(parse, async admin =>
        {
            var list = await admin.ListCertificatesAsync(new Empty(), cancellationToken: ct);
            if (!list.Enabled)
            {
                Console.WriteLine("ACME is off on this edge (acme.directory).");
                return;
            }
            Console.Write(CertificateTable(list.Certificates));
            Console.WriteLine($"Handshakes for names no token owns (nothing ordered): {list.RefusedOnDemand}");
        }));
        var name = new Option<string>("--name") { Description = "The certificate's name (the edge's domain, a wildcard, or a tunnel hostname).", Required = true };
        var certificateRenew = new Command("renew", "Orders a new certificate for a name now, whatever its expiry.") { name };
        certificateRenew.SetAction((parse, ct) => run(parse, async admin =>
            Console.Write(CertificateTable([await admin.RenewCertificateAsync(new RenewCertificateRequest { Name = parse.GetValue(name)! }, cancellationToken: ct)]))));
        root.Subcommands.Add(new Command("cert", "Certificates from ACME (Let's Encrypt).") { certificateList, certificateRenew });

        var tunnel = new Option<long>("--tunnel") { Description = "The tunnel's id (spokes tunnel ls).", Required = true };
        var accessShow = new Command("show", "Shows a tunnel's visitor controls.") { tunnel };
        accessShow.SetAction((parse, ct) => run(parse, async admin =>
            Console.Write(AccessTable(await admin.GetAccessAsync(new AccessRequest { TunnelId = parse.GetValue(tunnel) }, cancellationToken: ct)))));
        var allow = new Option<string[]>("--allow") { Description = "A CIDR (or address) let in; when any, only these. Repeat for more.", AllowMultipleArgumentsPerToken = true };
        var deny = new Option<string[]>("--deny") { Description = "A CIDR (or address) refused. Repeat for more.", AllowMultipleArgumentsPerToken = true };
        var clearLists = new Option<bool>("--clear-lists") { Description = "Remove the allow and deny lists." };
        var user = new Option<string>("--password-user") { Description = "The HTTP basic user name for --password.", DefaultValueFactory = _ => "visitor" };
        var password = new Option<string>("--password") { Description = "An HTTP basic password (8 to 128 characters) for HTTP visitors." };
        var clearPassword = new Option<bool>("--clear-password") { Description = "Remove the password." };
        var accessSet = new Command("set", "Changes a tunnel's visitor controls; lists not given are kept.") { tunnel, allow, deny, clearLists, user, password, clearPassword };
        accessSet.SetAction((parse, ct) => run(parse, async admin =>
        {
            var id = parse.GetValue(tunnel);
            var current = await admin.GetAccessAsync(new AccessRequest { TunnelId = id }, cancellationToken: ct);
            var (allowed, denied) = (parse.GetValue(allow) ?? [], parse.GetValue(deny) ?? []);
            var request = new SetAccessRequest
            {
                TunnelId = id,
                PasswordUser = parse.GetValue(user)!,
                Password = parse.GetValue(password) ?? "",
                ClearPassword = parse.GetValue(clearPassword),
            };
            var replaceLists = parse.GetValue(clearLists) || allowed.Length > 0 || denied.Length > 0;
            request.Allow.AddRange(replaceLists ? allowed : current.Allow);
            request.Deny.AddRange(replaceLists ? denied : current.Deny);
            Console.Write(AccessTable(await admin.SetAccessAsync(request, cancellationToken: ct)));
        }));
        root.Subcommands.Add(new Command("access", "Visitor controls of a tunnel: CIDR lists and a password.") { accessShow, accessSet });

        var tokenId = new Option<long>("--token-id") { Description = "The authentication token the key signs in as (its ID in spokes token ls).", Required = true };
        var publicKey = new Option<string>("--public-key")
        {
            Description = "The public key: a .pub file's path, or its line (TYPE BASE64 [comment]).", Required = true,
        };
        var keyAdd = new Command("add", "Registers a public key for ssh -R: it signs in as the token, from the next connection on.") { tokenId, publicKey };
        keyAdd.SetAction((parse, ct) => run(parse, async admin =>
        {
            var given = parse.GetValue(publicKey)!;
            var line = File.Exists(given) ? File.ReadAllText(given) : given;
            Console.Write(SshKeyTable([await admin.AddSshKeyAsync(new AddSshKeyRequest { TokenId = parse.GetValue(tokenId), PublicKey = line }, cancellationToken: ct)]));
        }));
        var keyList = new Command("ls", "Lists the public keys registered for ssh -R.");
        keyList.Aliases.Add("list");
        keyList.SetAction((parse, ct) => run(parse, async admin =>
            Console.Write(SshKeyTable((await admin.ListSshKeysAsync(new Empty(), cancellationToken: ct)).Keys))));
        var id = new Option<long>("--id") { Description = "The key's ID to remove." };
        var all = new Option<bool>("--all") { Description = "Remove every key." };
        var keyRemove = new Command("rm", "Removes a key (--id) or all (--all); refused from the next connection on.") { id, all };
        keyRemove.Aliases.Add("remove");
        keyRemove.SetAction((parse, ct) => run(parse, async admin =>
        {
            var request = parse.GetValue(all) ? new RemoveRequest { All = true }
                : parse.GetValue(id) is > 0 and var one ? new RemoveRequest { Id = one }
                : throw new CliException("Give --id ID or --all.");
            var removed = await admin.RemoveSshKeysAsync(request, cancellationToken: ct);
            Console.WriteLine($"Removed {removed.Removed} SSH key(s).");
        }));
        root.Subcommands.Add(new Command("ssh-keys", "Public keys that publish a token's tunnel through the SSH front door (ssh -R).") { keyAdd, keyList, keyRemove });
    }

    private static Table SshKeyTable(IEnumerable<SshKey> keys)
    {
        var table = new Table("ID", "Token ID", "Hostname", "Type", "Fingerprint", "Comment", "Created");
        foreach (var k in keys) table.Add(k.Id.ToString(), k.TokenId.ToString(), k.Hostname, k.Type, k.Fingerprint, k.Comment, Table.Time(k.Created));
        return table;
    }

    private static Table CertificateTable(IEnumerable<Certificate> certificates)
    {
        var table = new Table("Name", "State", "Expires", "Serial", "Last attempt", "Last error");
        foreach (var c in certificates)
        {
            table.Add(c.Name, c.State, c.NotAfter == 0 ? "" : Table.Time(c.NotAfter), c.Serial, c.LastAttempt == 0 ? "" : Table.Time(c.LastAttempt),
                c.LastError.Length > 100 ? c.LastError[..100] + "…" : c.LastError);
        }
        return table;
    }

    private static Table AccessTable(AccessRules rules) =>
        new Table("Tunnel ID", "Allow", "Deny", "Password").Add(rules.TunnelId.ToString(),
            rules.Allow.Count == 0 ? "everyone" : string.Join(' ', rules.Allow), string.Join(' ', rules.Deny),
            rules.PasswordSet ? $"yes (user {rules.PasswordUser})" : "no");
}
