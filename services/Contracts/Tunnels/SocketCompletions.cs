namespace Spokes.Contracts.Tunnels;

/// <summary>How the tunnel processes (the edge and the client) run socket completions.</summary>
public static class SocketCompletions
{
    private const string Variable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>
    /// Runs socket completions on the socket event threads instead of queueing each one to the thread pool, as
    /// .NET's proxy benchmarks do. A relay is a chain of short non-blocking continuations (read, then write
    /// on the other socket), and the hop to the thread pool per operation was most of its cost: on loopback it
    /// doubled plaintext throughput through the tunnel (benchmark `tunnel`). Code that blocks must therefore
    /// not run in a socket continuation (the edge's SQLite calls move to the thread pool). Must run before
    /// the first socket is made; an explicit setting of the variable is kept.
    /// </summary>
    public static void RunInline()
    {
        if (Environment.GetEnvironmentVariable(Variable) is null) Environment.SetEnvironmentVariable(Variable, "1");
    }
}
