using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;
using Spokes.TestSupport;

namespace Spokes.Pushd.Tests;

/// <summary>
/// A browser's side of Web Push in npm's hands (<c>tests/conformance/push-receiver.mjs</c>): subscription keys made as a
/// browser makes them, and every request received decrypted by npm <c>http_ece</c> with its VAPID JWT verified.
/// </summary>
public sealed class PushReceiver : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Channel<JsonElement> _received = Channel.CreateUnbounded<JsonElement>();

    private PushReceiver(Process process, JsonElement subscription)
    {
        _process = process;
        Endpoint = subscription.GetProperty("endpoint").GetString()!;
        P256dh = subscription.GetProperty("p256dh").GetString()!;
        Auth = subscription.GetProperty("auth").GetString()!;
    }

    public string Endpoint { get; }

    public string P256dh { get; }

    public string Auth { get; }

    /// <summary>A VAPID key pair made by npm <c>web-push</c>.</summary>
    public static async Task<(string PublicKey, string PrivateKey)> VapidKeysAsync()
    {
        using var process = Start("vapid-keys");
        var line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30))
                   ?? throw new InvalidOperationException(await process.StandardError.ReadToEndAsync());
        await process.WaitForExitAsync();
        var keys = JsonDocument.Parse(line).RootElement;
        return (keys.GetProperty("publicKey").GetString()!, keys.GetProperty("privateKey").GetString()!);
    }

    /// <param name="statuses">What the endpoint answers, in turn, before it answers 201 to everything.</param>
    public static async Task<PushReceiver> StartAsync(string vapidPublicKey, params int[] statuses)
    {
        var process = Start("serve", vapidPublicKey, string.Join(',', statuses));
        try
        {
            var first = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30))
                        ?? throw new InvalidOperationException($"The push receiver exited: {await process.StandardError.ReadToEndAsync()}");
            var receiver = new PushReceiver(process, JsonDocument.Parse(first).RootElement);
            _ = receiver.ReadAsync();
            return receiver;
        }
        catch
        {
            process.Kill();
            process.Dispose();
            throw;
        }
    }

    private static Process Start(params string[] arguments)
    {
        var folder = Path.Combine(BuildLayout.RepositoryRoot, "tests", "conformance");
        if (!Directory.Exists(Path.Combine(folder, "node_modules", "http_ece")))
            throw new InvalidOperationException($"http_ece is not installed: run `npm ci` in {folder} (tests/run.sh does).");
        var start = new ProcessStartInfo("node") { WorkingDirectory = folder, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("push-receiver.mjs");
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        return Process.Start(start) ?? throw new InvalidOperationException("node could not be started.");
    }

    private async Task ReadAsync()
    {
        while (await _process.StandardOutput.ReadLineAsync() is { } line) _received.Writer.TryWrite(JsonDocument.Parse(line).RootElement.Clone());
    }

    /// <summary>The next request received: <c>ok</c>, and <c>payload</c> (decrypted) or <c>error</c>.</summary>
    public async Task<JsonElement> NextAsync(TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(20));
        return await _received.Reader.ReadAsync(cancel.Token);
    }

    public int Pending => _received.Reader.Count;

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
