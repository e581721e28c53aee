using Grpc.Core;
using Spokes.Contracts.Tunnels.V1;
using Spokes.TunnelEdge.Access;
using Spokes.TunnelEdge.Acme;
using Spokes.TunnelEdge.Ssh;
using Spokes.TunnelEdge.Store;

namespace Spokes.TunnelEdge.Admin;

/// <summary>The operator's API for certificates (ACME), visitor controls and the SSH front door's keys.</summary>
public sealed partial class AdminGrpc
{
    private const int MaxPasswordLength = 128;

    public override Task<CertificateList> ListCertificates(Empty request, ServerCallContext context)
    {
        var acme = Service<AcmeService>(context);
        var list = new CertificateList { Enabled = acme is not null, RefusedOnDemand = acme?.RefusedOnDemand ?? 0 };
        if (acme is not null) list.Certificates.AddRange(acme.Statuses.Select(ToMessage));
        return Task.FromResult(list);
    }

    public override async Task<Certificate> RenewCertificate(RenewCertificateRequest request, ServerCallContext context)
    {
        var acme = Service<AcmeService>(context) ?? throw new RpcException(new Status(StatusCode.FailedPrecondition, "ACME is off on this edge (acme.directory)."));
        if (!acme.IsManaged(request.Name)) throw new RpcException(new Status(StatusCode.NotFound, $"The edge keeps no certificate for {request.Name}."));
        try
        {
            return ToMessage(await acme.RenewAsync(request.Name, context.CancellationToken));
        }
        catch (AcmeException e)
        {
            throw new RpcException(new Status(StatusCode.Aborted, e.Message));
        }
    }

    public override async Task<AccessRules> GetAccess(AccessRequest request, ServerCallContext context)
    {
        await ExistingTunnelAsync(context, request.TunnelId);
        return ToMessage(request.TunnelId, Service<AccessStore>(context)!.For(request.TunnelId));
    }

    public override async Task<AccessRules> SetAccess(SetAccessRequest request, ServerCallContext context)
    {
        await ExistingTunnelAsync(context, request.TunnelId);
        var store = Service<AccessStore>(context)!;
        var current = store.For(request.TunnelId);
        var (user, hash) = request switch
        {
            { ClearPassword: true, Password.Length: > 0 } => throw Invalid("Give a password or clear it, not both."),
            { ClearPassword: true } => (null, null),
            { Password.Length: > 0 } => (CheckedUser(request.PasswordUser), TunnelAccess.HashPassword(CheckedPassword(request.Password))),
            _ => (current.PasswordUser, current.PasswordHash),
        };
        var access = new TunnelAccess(Networks(request.Allow, "allow"), Networks(request.Deny, "deny"), user, hash);
        await store.SetAsync(request.TunnelId, access);
        Service<ILogger<AdminGrpc>>(context)!.LogInformation("Visitor controls of tunnel {TunnelId} set: {Allow} allowed, {Deny} denied, password {Password}.",
            request.TunnelId, access.Allow.Count, access.Deny.Count, access.PasswordHash is null ? "off" : "on");
        return ToMessage(request.TunnelId, access);
    }

    public override async Task<SshKey> AddSshKey(AddSshKeyRequest request, ServerCallContext context)
    {
        if (!SshAuthorizedKey.TryParse(request.PublicKey, out var key, out var error)) throw Invalid(error);
        var store = Service<EdgeStore>(context)!;
        if ((await store.ListSshKeysAsync()).Any(k => k.Fingerprint == key.Fingerprint))
            throw new RpcException(new Status(StatusCode.AlreadyExists, $"The key {key.Fingerprint} is registered already (spokes ssh-keys ls)."));
        var added = await store.AddSshKeyAsync(request.TokenId, key)
            ?? throw new RpcException(new Status(StatusCode.NotFound, $"There is no active authentication token {request.TokenId}."));
        Service<ILogger<AdminGrpc>>(context)!.LogInformation("SSH key {Id} ({Fingerprint}) added for authentication token {TokenId}.", added.Id, added.Fingerprint, added.TokenId);
        return ToMessage(added);
    }

    public override async Task<SshKeyList> ListSshKeys(Empty request, ServerCallContext context)
    {
        var list = new SshKeyList();
        list.Keys.AddRange((await Service<EdgeStore>(context)!.ListSshKeysAsync()).Select(ToMessage));
        return list;
    }

    public override async Task<RemoveReply> RemoveSshKeys(RemoveRequest request, ServerCallContext context)
    {
        var removed = await Service<EdgeStore>(context)!.RemoveSshKeysAsync(Target(request));
        if (removed == 0 && !request.All) throw new RpcException(new Status(StatusCode.NotFound, $"There is no SSH key {request.Id}."));
        Service<ILogger<AdminGrpc>>(context)!.LogInformation("{Count} SSH key(s) removed.", removed);
        return new RemoveReply { Removed = removed };
    }

    private static SshKey ToMessage(SshKeyRow row) => new()
    {
        Id = row.Id, TokenId = row.TokenId, Hostname = row.Hostname, Type = row.Type, Fingerprint = row.Fingerprint, Comment = row.Comment, Created = row.Created,
    };

    private static async Task ExistingTunnelAsync(ServerCallContext context, long tunnelId)
    {
        var tunnels = await Service<EdgeStore>(context)!.ListTunnelsAsync(onlineOnly: false, all: false);
        if (!tunnels.Any(t => t.Id == tunnelId)) throw new RpcException(new Status(StatusCode.NotFound, $"There is no tunnel {tunnelId}."));
    }

    private static List<System.Net.IPNetwork> Networks(IEnumerable<string> given, string list)
    {
        var networks = new List<System.Net.IPNetwork>();
        foreach (var text in given)
        {
            if (!TunnelAccess.TryParseNetwork(text, out var network)) throw Invalid($"{list}: '{text}' is not a CIDR (10.0.0.0/8) or an address.");
            networks.Add(network);
        }
        return networks.Count > TunnelAccess.MaxRules ? throw Invalid($"{list}: at most {TunnelAccess.MaxRules} entries.") : networks;
    }

    private static string CheckedUser(string user) =>
        user.Length is > 0 and <= 64 && !user.Contains(':') && !user.Any(char.IsControl) ? user
        : throw Invalid("The password's user name is 1 to 64 characters, without ':'.");

    private static string CheckedPassword(string password) =>
        password.Length is >= 8 and <= MaxPasswordLength ? password : throw Invalid($"A password is 8 to {MaxPasswordLength} characters.");

    private static RpcException Invalid(string message) => new(new Status(StatusCode.InvalidArgument, message));

    private static T? Service<T>(ServerCallContext context) => context.GetHttpContext().RequestServices.GetService<T>();

    private static Certificate ToMessage(CertificateStatus status) => new()
    {
        Name = status.Name,
        State = status.State,
        NotAfter = status.NotAfter?.ToUnixTimeSeconds() ?? 0,
        Serial = status.Serial,
        LastError = status.LastError,
        LastAttempt = status.LastAttempt?.ToUnixTimeSeconds() ?? 0,
    };

    private static AccessRules ToMessage(long tunnelId, TunnelAccess access)
    {
        var message = new AccessRules { TunnelId = tunnelId, PasswordSet = access.PasswordHash is not null, PasswordUser = access.PasswordUser ?? "" };
        message.Allow.AddRange(access.Allow.Select(n => n.ToString()));
        message.Deny.AddRange(access.Deny.Select(n => n.ToString()));
        return message;
    }
}
