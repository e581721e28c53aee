namespace Spokes.TunnelEdge.Store;

/// <summary>A tunnel's life, numbered as Packetriot's Spokes numbers it.</summary>
public enum TunnelState
{
    Init = 1,
    Online = 2,
    Offline = 3,
    /// <summary>Its token was removed: it may not connect again; its names and ports stay reserved until cleaned.</summary>
    Shutdown = 4,
    /// <summary>Cleaned: its names and ports are free for others.</summary>
    Deleted = 5,
}

public sealed record RegistrationRow(long Id, string Token, string Description, int Uses, long Created);

public sealed record TokenRow(long Id, string Token, string Hostname, long TunnelId, bool Active, long Created);

public sealed record TunnelRow(long Id, string? User, string Hostname, TunnelState State, string Address, long UptimeSeconds,
    long DailyBytes, long MonthlyBytes, long Created);

public sealed record PortRow(int Port, string? User, long TunnelId, TunnelState State, long UptimeSeconds, long MonthlyBytes);

/// <summary>What a client's token stands for.</summary>
public sealed record SshKeyRow(long Id, long TokenId, string Hostname, string Type, string Fingerprint, string Comment, long Created);

public sealed record TokenGrant(long TokenId, long TunnelId, string Hostname, bool Active);

public sealed record CleanIssue(string Kind, string Subject, string Reason);

/// <summary>A refusal the client is told about (a <see cref="Contracts.Tunnels.TunnelErrorCodes"/> code and a message).</summary>
public sealed class TunnelRefusedException(string code, string message) : Exception(message)
{
    public string Code { get; } = code;
}
