using System.Threading.Channels;

namespace Spokes.TunnelClient;

/// <summary>
/// The running client's log. Lines are queued and written by one task: relays run their socket continuations
/// inline on the epoll threads (<c>SocketCompletions</c>), and a line logged there must never wait on a stdout
/// pipe that nobody drains. A stalled reader loses the oldest lines, not the relays.
/// </summary>
public sealed class QueuedLog : IAsyncDisposable
{
    private readonly Channel<string> _lines = Channel.CreateBounded<string>(
        new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
    private readonly Task _writing;

    public QueuedLog(TextWriter output)
    {
        _writing = Task.Run(async () =>
        {
            await foreach (var line in _lines.Reader.ReadAllAsync()) await output.WriteLineAsync(line);
        });
    }

    public void Write(string line) => _lines.Writer.TryWrite($"{DateTime.Now:HH:mm:ss} {line}");

    /// <summary>Writes what is queued, then stops.</summary>
    public async ValueTask DisposeAsync()
    {
        _lines.Writer.TryComplete();
        await _writing;
    }
}
