using System.Buffers;
using System.Text.Json;
using MessagePack;

namespace Spokes.Events.Protocol;

/// <summary>What a client may send (Stoat's <c>ClientMessage</c>).</summary>
public abstract record ClientMessage;

public sealed record AuthenticateMessage(string Token) : ClientMessage;

public sealed record BeginTypingMessage(string Channel) : ClientMessage;

public sealed record EndTypingMessage(string Channel) : ClientMessage;

public sealed record SubscribeMessage(string ServerId) : ClientMessage;

/// <summary><see cref="Data"/> is the <c>data</c> value exactly as sent (JSON text or MessagePack bytes), echoed in the Pong.</summary>
public sealed record PingMessage(ReadOnlyMemory<byte> Data) : ClientMessage;

/// <summary>A frame that is not a client message; <see cref="Reason"/> says why, for Stoat's <c>MalformedData</c> error.</summary>
public sealed class MalformedMessageException(string reason) : Exception(reason)
{
    public string Reason { get; } = reason;
}

/// <summary>Reads client messages from JSON text frames or MessagePack binary frames.</summary>
public static class ClientMessages
{
    private const int MaxIdLength = 128;

    public static ClientMessage Parse(ReadOnlySpan<byte> frame, WireFormat format) =>
        format == WireFormat.Json ? ParseJson(frame) : ParseMessagePack(frame);

    private static ClientMessage ParseJson(ReadOnlySpan<byte> frame)
    {
        var fields = new Dictionary<string, string>();
        ReadOnlyMemory<byte>? data = null;
        try
        {
            var reader = new Utf8JsonReader(frame);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) throw new MalformedMessageException("a message is a JSON object");
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString()!;
                reader.Read();
                if (name == "data")
                {
                    var start = (int)reader.TokenStartIndex;
                    reader.Skip();
                    data = frame[start..(int)reader.BytesConsumed].ToArray();
                }
                else if (reader.TokenType == JsonTokenType.String) fields[name] = reader.GetString()!;
                else reader.Skip();
            }
            if (reader.TokenType != JsonTokenType.EndObject || reader.Read()) throw new MalformedMessageException("a message is one JSON object");
        }
        catch (JsonException e)
        {
            throw new MalformedMessageException("not JSON: " + e.Message);
        }
        return Build(fields, data);
    }

    private static ClientMessage ParseMessagePack(ReadOnlySpan<byte> frame)
    {
        var fields = new Dictionary<string, string>();
        ReadOnlyMemory<byte>? data = null;
        try
        {
            var reader = new MessagePackReader(new ReadOnlySequence<byte>(frame.ToArray()));
            if (reader.NextMessagePackType != MessagePackType.Map) throw new MalformedMessageException("a message is a MessagePack map");
            var count = reader.ReadMapHeader();
            for (var i = 0; i < count; i++)
            {
                if (reader.NextMessagePackType != MessagePackType.String) throw new MalformedMessageException("map keys are strings");
                var name = reader.ReadString()!;
                if (name == "data") data = reader.ReadRaw().ToArray();
                else if (reader.NextMessagePackType == MessagePackType.String) fields[name] = reader.ReadString()!;
                else reader.Skip();
            }
            if (!reader.End) throw new MalformedMessageException("a message is one MessagePack map");
        }
        catch (MessagePackSerializationException e)
        {
            throw new MalformedMessageException("not MessagePack: " + e.Message);
        }
        catch (EndOfStreamException)
        {
            throw new MalformedMessageException("the MessagePack map is cut short");
        }
        return Build(fields, data);
    }

    private static ClientMessage Build(Dictionary<string, string> fields, ReadOnlyMemory<byte>? data)
    {
        var type = fields.GetValueOrDefault("type") ?? throw new MalformedMessageException("missing field `type`");
        return type switch
        {
            "Authenticate" => new AuthenticateMessage(Required(fields, "token", 512)),
            "BeginTyping" => new BeginTypingMessage(Required(fields, "channel", MaxIdLength)),
            "EndTyping" => new EndTypingMessage(Required(fields, "channel", MaxIdLength)),
            "Subscribe" => new SubscribeMessage(Required(fields, "server_id", MaxIdLength)),
            "Ping" => new PingMessage(data ?? throw new MalformedMessageException("missing field `data`")),
            _ => throw new MalformedMessageException($"unknown variant `{Truncate(type)}`, expected one of `Authenticate`, `BeginTyping`, `EndTyping`, `Subscribe`, `Ping`"),
        };
    }

    private static string Required(Dictionary<string, string> fields, string name, int maxLength)
    {
        var value = fields.GetValueOrDefault(name);
        if (string.IsNullOrEmpty(value)) throw new MalformedMessageException($"missing field `{name}`");
        if (value.Length > maxLength) throw new MalformedMessageException($"`{name}` is longer than {maxLength} characters");
        return value;
    }

    private static string Truncate(string value) => value.Length <= 32 ? value : value[..32] + "…";
}
