using System.Text.Json;
using System.Text.Json.Serialization;

namespace Spokes.Api.Storage;

/// <summary>
/// One of a message's embeds, Stoat's <c>Embed</c>: a <see cref="TextEmbed"/> the author sent, or a
/// <see cref="RemoteEmbed"/> January made from a link. Stored and sent out as Stoat's JSON, told apart by its
/// <c>type</c>.
/// </summary>
[JsonConverter(typeof(MessageEmbedConverter))]
public abstract record MessageEmbed;

/// <summary>
/// A <c>Website</c>, <c>Image</c> or <c>Video</c> embed as January made it: the Api keeps and relays it as given, as
/// Stoat's Api stores what its January answers.
/// </summary>
public sealed record RemoteEmbed(JsonElement Json) : MessageEmbed;

internal sealed class MessageEmbedConverter : JsonConverter<MessageEmbed>
{
    public override MessageEmbed? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var element = JsonElement.ParseValue(ref reader);
        return element.ValueKind == JsonValueKind.Object && element.TryGetProperty("type", out var type) && type.ValueEquals("Text")
            ? element.Deserialize<TextEmbed>(options)
            : new RemoteEmbed(element);
    }

    public override void Write(Utf8JsonWriter writer, MessageEmbed value, JsonSerializerOptions options)
    {
        switch (value)
        {
            case TextEmbed text:
                JsonSerializer.Serialize(writer, text, options);
                break;
            case RemoteEmbed remote:
                remote.Json.WriteTo(writer);
                break;
        }
    }
}
