using System.Text.Json;
using System.Text.Json.Serialization;

namespace Spokes.Api;

/// <summary>Stoat's JSON: snake_case throughout, null fields left out. Responses, events and stored documents all use it.</summary>
public static class StoatJson
{
    public static JsonSerializerOptions Options { get; } = Configure(new JsonSerializerOptions());

    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        options.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        // A stored document's `channel_type` or `type` need not come first.
        options.AllowOutOfOrderMetadataProperties = true;
        return options;
    }
}
