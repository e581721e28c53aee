namespace Spokes.AppHost.Suite;

/// <summary>One AppHost per data folder: two would share Redis files and RabbitMQ's database. Held until the process ends.</summary>
public sealed class DataFolderLock : IDisposable
{
    private readonly FileStream _stream;

    private DataFolderLock(FileStream stream) => _stream = stream;

    public static DataFolderLock Acquire(string dataFolder)
    {
        var path = Path.Combine(dataFolder, "apphost.lock");
        try
        {
            var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            stream.SetLength(0);
            using (var writer = new StreamWriter(stream, leaveOpen: true)) writer.Write(Environment.ProcessId);
            return new DataFolderLock(stream);
        }
        catch (IOException)
        {
            throw new SetupException($"Another AppHost is running on {dataFolder}: stop it, or use another --data folder.");
        }
    }

    public void Dispose() => _stream.Dispose();
}
