using System.Diagnostics;
using System.Globalization;

namespace Spokes.Autumn.Files;

/// <summary>Stoat's file metadata: <c>File</c>, <c>Text</c>, <c>Image</c>, <c>Video</c> or <c>Audio</c>; sizes for images and video.</summary>
public sealed record FileMetadata(string Type, int Width = 0, int Height = 0)
{
    public static readonly FileMetadata File = new("File");
    public static readonly FileMetadata Text = new("Text");
    public static readonly FileMetadata Audio = new("Audio");

    public static FileMetadata Image(int width, int height) => new("Image", width, height);

    public bool IsImage => Type == "Image";
}

/// <summary>A video's frame size from ffprobe, when ffprobe is installed and reads the file; null otherwise.</summary>
public static class VideoProbe
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public static async Task<(int Width, int Height)?> SizeAsync(string path, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("ffprobe")
        {
            ArgumentList = { "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height", "-of", "csv=s=x:p=0", path },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
        using (process)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(Timeout);
            try
            {
                var output = await process.StandardOutput.ReadToEndAsync(timeout.Token);
                await process.WaitForExitAsync(timeout.Token);
                var parts = output.Trim().Split('x');
                return process.ExitCode == 0 && parts.Length == 2
                    && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var width)
                    && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var height)
                    ? (width, height) : null;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                process.Kill(entireProcessTree: true);
                return null;
            }
        }
    }
}
