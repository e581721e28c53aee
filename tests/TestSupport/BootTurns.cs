namespace Spokes.TestSupport;

/// <summary>
/// Turns for CPU-heavy server boots, shared by every test process on the machine. The test assemblies run in
/// parallel, and a dozen RabbitMQ brokers booting Erlang at once on 2 cores outlasted any sensible start timeout;
/// taking turns, each boot gets the cores it needs. A turn is a lock file in the temp folder (<c>flock</c>, released
/// by the kernel should the process die), and waiting for one does not count against a start timeout.
/// </summary>
public static class BootTurns
{
    public static async Task<IDisposable> TakeAsync(string kind, int atOnce)
    {
        while (true)
        {
            for (var slot = 0; slot < atOnce; slot++)
            {
                try
                {
                    return new FileStream(Path.Combine(Path.GetTempPath(), $"spokes-boot-{kind}-{slot}.lock"),
                        FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                }
                catch (IOException)
                {
                    // That turn is taken: try the next one.
                }
            }
            await Task.Delay(200);
        }
    }
}
