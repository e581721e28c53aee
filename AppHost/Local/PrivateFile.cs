namespace Spokes.AppHost.Local;

public static class PrivateFile
{
    /// <summary>Writes a file only its owner may read (it holds a password), with Unix line ends.</summary>
    public static void Write(string path, string content)
    {
        using var stream = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
        using var writer = new StreamWriter(stream);
        writer.Write(content.Replace("\r\n", "\n") + "\n");
    }
}
