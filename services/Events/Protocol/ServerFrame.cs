using System.Buffers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using MessagePack;

namespace Spokes.Events.Protocol;

/// <summary>
/// One server → client message, encoded once per wire format however many sockets receive it: JSON text as
/// it came, MessagePack bytes made on first use.
/// </summary>
public sealed class ServerFrame
{
    private readonly byte[] _json;
    private byte[]? _messagePack;

    private ServerFrame(byte[] json, byte[]? messagePack = null)
    {
        _json = json;
        _messagePack = messagePack;
    }

    public static ServerFrame FromJson(byte[] utf8Json) => new(utf8Json);

    public static ServerFrame FromNode(JsonNode node) => new(Encoding.UTF8.GetBytes(node.ToJsonString()));

    public static ServerFrame Authenticated { get; } = FromNode(new JsonObject { ["type"] = "Authenticated" });

    public static ServerFrame Logout { get; } = FromNode(new JsonObject { ["type"] = "Logout" });

    /// <summary>Stoat's <c>{"type":"Error","data":{"type":…}}</c>, with any extra fields of the error beside its type.</summary>
    public static ServerFrame Error(string type, params (string Name, JsonNode? Value)[] fields)
    {
        var data = new JsonObject { ["type"] = type };
        foreach (var (name, value) in fields) data[name] = value;
        return FromNode(new JsonObject { ["type"] = "Error", ["data"] = data });
    }

    /// <summary>Several events in one message, as Stoat sends what one change causes.</summary>
    public static ServerFrame Bulk(IReadOnlyList<JsonNode> events) => FromNode(new JsonObject { ["type"] = "Bulk", ["v"] = new JsonArray([.. events]) });

    /// <summary>The Pong for a Ping, its <c>data</c> echoed exactly as the client encoded it.</summary>
    public static ServerFrame Pong(ReadOnlyMemory<byte> data, WireFormat format)
    {
        if (format == WireFormat.Json)
        {
            var prefix = "{\"type\":\"Pong\",\"data\":"u8;
            var json = new byte[prefix.Length + data.Length + 1];
            prefix.CopyTo(json);
            data.Span.CopyTo(json.AsSpan(prefix.Length));
            json[^1] = (byte)'}';
            return new(json);
        }
        var buffer = new ArrayBufferWriter<byte>(32 + data.Length);
        var writer = new MessagePackWriter(buffer);
        writer.WriteMapHeader(2);
        writer.Write("type");
        writer.Write("Pong");
        writer.Write("data");
        writer.WriteRaw(data.Span);
        writer.Flush();
        // Sent only to the MessagePack socket that pinged: no JSON form is needed.
        return new([], buffer.WrittenSpan.ToArray());
    }

    public ReadOnlyMemory<byte> Payload(WireFormat format) =>
        format == WireFormat.Json ? _json : _messagePack ??= MessagePackSerializer.ConvertFromJson(Encoding.UTF8.GetString(_json));

    public static WebSocketMessageType MessageType(WireFormat format) =>
        format == WireFormat.Json ? WebSocketMessageType.Text : WebSocketMessageType.Binary;

    /// <summary>The event as a JSON tree, to be changed or bundled into a <see cref="Bulk(IReadOnlyList{JsonNode})"/>.</summary>
    public JsonNode ToNode() => JsonNode.Parse(_json)!;
}
