using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Spokes.Contracts.Voice;

namespace Spokes.Api.Voice;

/// <summary>
/// LiveKit's RoomService on a node's internal address: Twirp, JSON over HTTP POST at
/// <c>/twirp/livekit.RoomService/{method}</c>, each call with an admin token for the one room it touches.
/// </summary>
public sealed class RoomServiceClient(IHttpClientFactory httpClients, TimeProvider clock)
{
    public const string HttpClientName = "livekit-rooms";

    /// <summary>Stoat's LiveKit client waits ten seconds for an answer.</summary>
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);

    /// <summary>A node whose port does not even open is down.</summary>
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(3);

    /// <summary>Stoat's rooms close five minutes after their last participant leaves.</summary>
    public const int EmptyTimeoutSeconds = 5 * 60;

    /// <summary>Creates the channel's room, or finds it if it exists: how many are in it.</summary>
    public async Task<int> CreateRoomAsync(LiveKitNode node, string room, string? serverId, CancellationToken cancellationToken)
    {
        var metadata = new JsonObject { ["server"] = serverId };
        var answer = await CallAsync(node, "CreateRoom", room, new JsonObject
        {
            ["name"] = room,
            ["empty_timeout"] = EmptyTimeoutSeconds,
            ["metadata"] = metadata.ToJsonString(),
        }, cancellationToken);
        // Twirp's JSON is protobuf's: either field name may come back, and a zero is left out.
        return (answer["num_participants"] ?? answer["numParticipants"])?.GetValue<int>() ?? 0;
    }

    /// <summary>What a participant may now publish and receive.</summary>
    public Task UpdateParticipantAsync(LiveKitNode node, string room, string identity, VoiceGrants grants, CancellationToken cancellationToken) =>
        CallAsync(node, "UpdateParticipant", room, new JsonObject
        {
            ["room"] = room,
            ["identity"] = identity,
            ["permission"] = new JsonObject
            {
                ["can_subscribe"] = grants.CanSubscribe,
                ["can_publish"] = grants.CanPublish,
                ["can_publish_data"] = false,
                ["can_publish_sources"] = new JsonArray(grants.Sources.Select(s => (JsonNode)s.ToUpperInvariant()).ToArray()),
            },
        }, cancellationToken);

    public Task RemoveParticipantAsync(LiveKitNode node, string room, string identity, CancellationToken cancellationToken) =>
        CallAsync(node, "RemoveParticipant", room, new JsonObject { ["room"] = room, ["identity"] = identity }, cancellationToken);

    /// <summary>Whether the node's RoomService answers an authorised call (its health).</summary>
    public Task ListRoomsAsync(LiveKitNode node, CancellationToken cancellationToken) =>
        CallAsync(node, "ListRooms", null, new JsonObject(), cancellationToken);

    private async Task<JsonObject> CallAsync(LiveKitNode node, string method, string? room, JsonObject body, CancellationToken cancellationToken)
    {
        var grant = new JsonObject { ["roomCreate"] = true, ["roomList"] = true, ["roomAdmin"] = room is not null };
        if (room is not null) grant["room"] = room;
        var token = LiveKitJwt.Sign(node.ApiKey, node.ApiSecret, new JsonObject { ["video"] = grant }, TimeSpan.FromMinutes(1), clock.GetUtcNow());
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(node.Url, $"twirp/livekit.RoomService/{method}"))
        {
            Content = JsonContent.Create(body),
        };
        request.Headers.Authorization = new("Bearer", token);
        using var response = await httpClients.CreateClient(HttpClientName).SendAsync(request, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
            throw new LiveKitException($"LiveKit node '{node.Name}' answered {method} with {(int)response.StatusCode}: {text}");
        try
        {
            return JsonNode.Parse(text.Length == 0 ? "{}" : text) as JsonObject ?? [];
        }
        catch (JsonException e)
        {
            throw new LiveKitException($"LiveKit node '{node.Name}' answered {method} with something other than JSON", e);
        }
    }
}

/// <summary>A LiveKit node refused or did not answer.</summary>
public sealed class LiveKitException(string message, Exception? inner = null) : Exception(message, inner);
