using System.Security.Cryptography;
using System.Text;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Spokes.Contracts.Tunnels.V1;
using Spokes.TunnelEdge.Store;
using Spokes.TunnelEdge.Tunnels;

namespace Spokes.TunnelEdge.Admin;

/// <summary>The operator's API: what the <c>spokes</c> command line shows and changes.</summary>
public sealed partial class AdminGrpc(EdgeStore store, TunnelRegistry registry, TrafficMeter meter, Housekeeping housekeeping, EdgeOptions options,
    ILogger<AdminGrpc> logger) : TunnelAdmin.TunnelAdminBase
{
    public override async Task<RegistrationList> ListRegistrations(Empty request, ServerCallContext context)
    {
        var list = new RegistrationList();
        list.Registrations.AddRange((await store.ListRegistrationsAsync()).Select(ToMessage));
        return list;
    }

    public override async Task<Registration> CreateRegistration(CreateRegistrationRequest request, ServerCallContext context)
    {
        if (request.Description.Length > 200) throw new RpcException(new Status(StatusCode.InvalidArgument, "A description is at most 200 characters."));
        var created = await store.CreateRegistrationAsync(request.Description.Trim());
        logger.LogInformation("Registration token {Id} created.", created.Id);
        return ToMessage(created);
    }

    public override async Task<RemoveReply> RemoveRegistrations(RemoveRequest request, ServerCallContext context)
    {
        var removed = await store.RemoveRegistrationsAsync(Target(request));
        if (removed == 0 && !request.All) throw new RpcException(new Status(StatusCode.NotFound, $"There is no registration token {request.Id}."));
        logger.LogInformation("{Count} registration token(s) removed.", removed);
        return new RemoveReply { Removed = removed };
    }

    public override async Task<AuthToken> CreateToken(CreateTokenRequest request, ServerCallContext context)
    {
        var hostname = Refused(() => string.IsNullOrWhiteSpace(request.Hostname)
            ? Hostnames.Generate(options.Domain)
            : TunnelListener.CheckedTunnelHostname(request.Hostname, options.Domain));
        var created = await RefusedAsync(() => store.CreateTokenAsync(hostname));
        logger.LogInformation("Authentication token {Id} created for tunnel {TunnelId} ({Hostname}).", created.Id, created.TunnelId, created.Hostname);
        return ToMessage(created);
    }

    public override async Task<TokenList> ListTokens(Empty request, ServerCallContext context)
    {
        var list = new TokenList();
        list.Tokens.AddRange((await store.ListTokensAsync()).Select(ToMessage));
        return list;
    }

    public override async Task<RemoveReply> RemoveTokens(RemoveRequest request, ServerCallContext context)
    {
        var tunnels = await store.RemoveTokensAsync(Target(request));
        if (tunnels.Count == 0 && !request.All) throw new RpcException(new Status(StatusCode.NotFound, $"There is no authentication token {request.Id}."));
        foreach (var tunnel in tunnels) await registry.ShutDownAsync(tunnel, "The tunnel's authentication token was removed.");
        logger.LogInformation("{Count} authentication token(s) removed; their tunnels are shut down.", tunnels.Count);
        return new RemoveReply { Removed = tunnels.Count };
    }

    public override async Task<TunnelList> ListTunnels(ListTunnelsRequest request, ServerCallContext context)
    {
        await meter.FlushAsync();
        var list = new TunnelList();
        list.Tunnels.AddRange((await store.ListTunnelsAsync(request.Online, request.All)).Select(t => new Tunnel
        {
            Id = t.Id,
            User = t.User ?? "",
            Hostname = t.Hostname,
            Online = t.State == TunnelState.Online,
            Address = t.Address,
            UptimeSeconds = t.UptimeSeconds,
            DailyBytes = t.DailyBytes,
            MonthlyBytes = t.MonthlyBytes,
            Created = t.Created,
            State = t.State.ToString(),
        }));
        return list;
    }

    public override async Task<PortList> ListPorts(Empty request, ServerCallContext context)
    {
        await meter.FlushAsync();
        var list = new PortList();
        list.Ports.AddRange((await store.ListPortsAsync()).Select(p => new Port
        {
            Port_ = p.Port,
            User = p.User ?? "",
            TunnelId = p.TunnelId,
            Online = p.State == TunnelState.Online && registry.ForTunnel(p.TunnelId)?.Ports.Contains(p.Port) == true,
            UptimeSeconds = p.UptimeSeconds,
            MonthlyBytes = p.MonthlyBytes,
        }));
        return list;
    }

    public override async Task<CleanReply> Clean(CleanRequest request, ServerCallContext context)
    {
        var issues = await housekeeping.CleanAsync(request.Check);
        var reply = new CleanReply { Fixed = request.Check ? 0 : issues.Count };
        reply.Issues.AddRange(issues.Select(i => new Spokes.Contracts.Tunnels.V1.CleanIssue { Kind = i.Kind, Subject = i.Subject, Reason = i.Reason }));
        return reply;
    }

    private static long? Target(RemoveRequest request) =>
        request.All ? null
        : request.Id > 0 ? request.Id
        : throw new RpcException(new Status(StatusCode.InvalidArgument, "Give an id, or all."));

    private static T Refused<T>(Func<T> work)
    {
        try
        {
            return work();
        }
        catch (TunnelRefusedException refused)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, refused.Message));
        }
    }

    private static async Task<T> RefusedAsync<T>(Func<Task<T>> work)
    {
        try
        {
            return await work();
        }
        catch (TunnelRefusedException refused)
        {
            throw new RpcException(new Status(StatusCode.AlreadyExists, refused.Message));
        }
    }

    private static Registration ToMessage(RegistrationRow row) =>
        new() { Id = row.Id, Token = row.Token, Description = row.Description, Uses = row.Uses, Created = row.Created };

    private static AuthToken ToMessage(TokenRow row) =>
        new() { Id = row.Id, Token = row.Token, Hostname = row.Hostname, TunnelId = row.TunnelId, Active = row.Active, Created = row.Created };
}

/// <summary>Every admin call needs <c>authorization: Bearer KEY</c> with the edge's admin key (compared in constant time).</summary>
public sealed class AdminKeyInterceptor(AdminKey key) : Interceptor
{
    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context,
        UnaryServerMethod<TRequest, TResponse> continuation)
    {
        var header = context.RequestHeaders.GetValue("authorization") ?? "";
        var given = header.StartsWith("Bearer ", StringComparison.Ordinal) ? header[7..] : "";
        if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(key.Value)))
            throw new RpcException(new Status(StatusCode.Unauthenticated, "The admin key is missing or wrong."));
        return continuation(request, context);
    }
}

/// <summary>The admin key: configured, or made once and kept in <c>DATAPATH/admin.key</c> (readable by the owner only).</summary>
public sealed class AdminKey
{
    public AdminKey(EdgeOptions options)
    {
        if (!string.IsNullOrWhiteSpace(options.AdminKey))
        {
            Value = options.AdminKey.Trim();
            return;
        }
        var path = FilePath(options.DataPath);
        if (File.Exists(path))
        {
            Value = File.ReadAllText(path).Trim();
            return;
        }
        Value = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        Directory.CreateDirectory(options.DataPath);
        File.WriteAllText(path, Value + "\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    public static string FilePath(string dataPath) => Path.Combine(dataPath, "admin.key");

    public string Value { get; }
}
