using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using MessagePack;

namespace Spokes.Events.Tests;

/// <summary>A raw events client: what it receives, as JSON, in order; closes are reported, never hidden.</summary>
public sealed class StoatSocket : IAsyncDisposable
{
    private readonly ClientWebSocket _socket = new();
    private readonly bool _messagePack;
    private readonly Queue<JsonElement> _bulked = new();

    private StoatSocket(bool messagePack) => _messagePack = messagePack;

    public WebSocketCloseStatus? CloseStatus => _socket.CloseStatus;

    public WebSocketState State => _socket.State;

    public static async Task<StoatSocket> ConnectAsync(string url, bool messagePack = false)
    {
        var socket = new StoatSocket(messagePack);
        await socket._socket.ConnectAsync(new Uri(url), CancellationToken.None);
        return socket;
    }

    /// <summary>Connects with a token and returns the socket once Authenticated and Ready have arrived.</summary>
    public static async Task<(StoatSocket Socket, JsonElement Ready)> ReadyAsync(string eventsUrl, string token, string query = "")
    {
        var socket = await ConnectAsync($"{eventsUrl}/?version=1&format=json&token={Uri.EscapeDataString(token)}{query}");
        var first = await socket.ReceiveAsync();
        // A refusal (say, the node cannot reach Redis) is one a client answers by reconnecting later, as stoat.js does.
        if (first.GetProperty("type").GetString() == "Error")
        {
            await socket.DisposeAsync();
            throw new InvalidOperationException($"The node refused the socket: {first}");
        }
        Assert.Equal("Authenticated", first.GetProperty("type").GetString());
        var ready = await socket.ReceiveAsync();
        Assert.Equal("Ready", ready.GetProperty("type").GetString());
        return (socket, ready);
    }

    public Task SendAsync(object message) => SendRawAsync(
        _messagePack ? MessagePackSerializer.ConvertFromJson(JsonSerializer.Serialize(message)) : JsonSerializer.SerializeToUtf8Bytes(message),
        _messagePack ? WebSocketMessageType.Binary : WebSocketMessageType.Text);

    public async Task SendRawAsync(byte[] payload, WebSocketMessageType type) =>
        await _socket.SendAsync(payload, type, endOfMessage: true, CancellationToken.None);

    /// <summary>The next message; a close (or the time running out) fails with what happened.</summary>
    public async Task<JsonElement> ReceiveAsync(TimeSpan? timeout = null) =>
        await TryReceiveAsync(timeout) ?? throw new InvalidOperationException($"The socket closed: {_socket.CloseStatus} {_socket.CloseStatusDescription}");

    /// <summary>The next message, or null once the server has closed the socket.</summary>
    public async Task<JsonElement?> TryReceiveAsync(TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        while (true)
        {
            WebSocketReceiveResult result;
            try
            {
                result = await _socket.ReceiveAsync(chunk, cancel.Token);
            }
            catch (WebSocketException)
            {
                return null;
            }
            if (result.MessageType == WebSocketMessageType.Close) return null;
            buffer.Write(chunk, 0, result.Count);
            if (!result.EndOfMessage) continue;
            var json = result.MessageType == WebSocketMessageType.Binary
                ? MessagePackSerializer.ConvertToJson(buffer.ToArray())
                : Encoding.UTF8.GetString(buffer.ToArray());
            return JsonDocument.Parse(json).RootElement.Clone();
        }
    }

    /// <summary>
    /// Skips events until one of <paramref name="type"/> that passes <paramref name="accept"/>; the events of a
    /// <c>Bulk</c> are taken one by one, as stoat.js takes them.
    /// </summary>
    public async Task<JsonElement> WaitForAsync(string type, Func<JsonElement, bool>? accept = null, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero) throw new TimeoutException($"No {type} arrived.");
            var message = _bulked.TryDequeue(out var next) ? next : await ReceiveAsync(left);
            var received = message.GetProperty("type").GetString();
            if (received == "Bulk" && type != "Bulk")
            {
                foreach (var inner in message.GetProperty("v").EnumerateArray()) _bulked.Enqueue(inner);
                continue;
            }
            if (received == type && (accept?.Invoke(message) ?? true)) return message;
        }
    }

    /// <summary>Reads until the server closes the socket; returns the messages that came before.</summary>
    public async Task<List<JsonElement>> UntilClosedAsync(TimeSpan? timeout = null)
    {
        var received = new List<JsonElement>();
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (DateTime.UtcNow < deadline)
        {
            if (await TryReceiveAsync(deadline - DateTime.UtcNow) is not { } message) return received;
            received.Add(message);
        }
        throw new TimeoutException("The server did not close the socket.");
    }

    public async ValueTask DisposeAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try
            {
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", cancel.Token);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException)
            {
                _socket.Abort();
            }
        }
        _socket.Dispose();
    }
}
