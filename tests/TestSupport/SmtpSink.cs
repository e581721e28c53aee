using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;

namespace Spokes.TestSupport;

/// <summary>
/// A real SMTP server on loopback for tests (nodemailer's <c>smtp-server</c>, with <c>mailparser</c> decoding
/// what arrives; <c>tests/conformance/smtp-sink.mjs</c>). Every message is kept for <see cref="NextAsync"/>.
/// </summary>
public sealed class SmtpSink : IAsyncDisposable
{
    public sealed record Email(IReadOnlyList<string> To, string? From, string? Subject, string? Text);

    private readonly Process _process;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Channel<Email>> _byRecipient = new(StringComparer.OrdinalIgnoreCase);

    private SmtpSink(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public static async Task<SmtpSink> StartAsync()
    {
        var process = ConformanceScripts.Start("smtp-server", "smtp-sink.mjs");
        try
        {
            var first = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30))
                        ?? throw new InvalidOperationException($"The SMTP sink exited: {await process.StandardError.ReadToEndAsync()}");
            var sink = new SmtpSink(process, JsonDocument.Parse(first).RootElement.GetProperty("listening").GetInt32());
            _ = sink.ReadAsync();
            return sink;
        }
        catch
        {
            process.Kill();
            process.Dispose();
            throw;
        }
    }

    private async Task ReadAsync()
    {
        while (await _process.StandardOutput.ReadLineAsync() is { } line)
        {
            var email = JsonSerializer.Deserialize<Email>(line, new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
            foreach (var recipient in email.To) Inbox(recipient).Writer.TryWrite(email);
        }
    }

    private Channel<Email> Inbox(string address) => _byRecipient.GetOrAdd(address, _ => Channel.CreateUnbounded<Email>());

    /// <summary>The next message to <paramref name="to"/> not yet taken, waiting for it if need be.</summary>
    public async Task<Email> NextAsync(string to, TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(20));
        return await Inbox(to).Reader.ReadAsync(cancel.Token);
    }

    /// <summary>Whether a message to <paramref name="to"/> is waiting (for checking that none was sent).</summary>
    public bool HasMail(string to) => Inbox(to).Reader.Count > 0;

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
