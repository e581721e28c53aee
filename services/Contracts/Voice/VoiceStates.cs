using System.Text.Json;
using System.Text.Json.Serialization;
using StackExchange.Redis;

namespace Spokes.Contracts.Voice;

/// <summary>Stoat's <c>UserVoiceState</c>: who is in a call, since when, and what they send.</summary>
public sealed record UserVoiceState(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("joined_at")] DateTimeOffset JoinedAt,
    [property: JsonPropertyName("is_receiving")] bool IsReceiving,
    [property: JsonPropertyName("is_publishing")] bool IsPublishing,
    [property: JsonPropertyName("screensharing")] bool Screensharing,
    [property: JsonPropertyName("camera")] bool Camera);

/// <summary>Stoat's <c>ChannelVoiceState</c>: a channel's call, as Ready and <c>ServerCreate</c> carry it.</summary>
public sealed record ChannelVoiceState(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("participants")] IReadOnlyList<UserVoiceState> Participants);

/// <summary>Where voice state lives in Redis (Stoat keeps it there too, never in the database).</summary>
public static class VoiceKeys
{
    private const string Prefix = "spokes:voice:";

    /// <summary>A hash of the channel's participants: user id → <see cref="UserVoiceState"/> JSON.</summary>
    public static string Participants(string channelId) => Prefix + "channel:" + channelId;

    /// <summary>The set of channels whose calls the user is in.</summary>
    public static string UserChannels(string userId) => Prefix + "user:" + userId;

    /// <summary>The node that hosts the channel's call, chosen by its first participant.</summary>
    public static string Node(string channelId) => Prefix + "node:" + channelId;

    /// <summary>The id of the call's <c>CallStarted</c> system message.</summary>
    public static string CallMessage(string channelId) => Prefix + "call:" + channelId;

    /// <summary>The channels with a call in progress (for the voice metrics).</summary>
    public const string Calls = Prefix + "calls";

    /// <summary>The users a DM or group call rings, while it rings.</summary>
    public static string Ring(string channelId) => Prefix + "ring:" + channelId;
}

/// <summary>
/// The voice state of every call: Voice-Ingress writes it from LiveKit's webhooks; the Api reads it (Ready,
/// <c>join_call</c>) and clears a user's when it removes them from a call.
/// </summary>
public sealed class VoiceStates(IConnectionMultiplexer redis)
{
    private IDatabase Db => redis.GetDatabase();

    public async Task<IReadOnlyList<string>> ChannelsOfAsync(string userId) =>
        (await Db.SetMembersAsync(VoiceKeys.UserChannels(userId))).Select(v => v.ToString()).ToList();

    public async Task<IReadOnlyList<UserVoiceState>> InChannelAsync(string channelId) =>
        (await Db.HashValuesAsync(VoiceKeys.Participants(channelId))).Select(Parse).OrderBy(s => s.JoinedAt).ToList();

    /// <summary>The calls in progress among <paramref name="channelIds"/> (channels without one are left out), in one round trip.</summary>
    public async Task<IReadOnlyList<ChannelVoiceState>> InChannelsAsync(IEnumerable<string> channelIds)
    {
        var batch = Db.CreateBatch();
        var reads = channelIds.Distinct().Select(id => (Id: id, Values: batch.HashValuesAsync(VoiceKeys.Participants(id)))).ToList();
        batch.Execute();
        await Task.WhenAll(reads.Select(r => r.Values));
        return reads.Where(r => r.Values.Result.Length > 0)
            .Select(r => new ChannelVoiceState(r.Id, r.Values.Result.Select(Parse).OrderBy(s => s.JoinedAt).ToList())).ToList();
    }

    public async Task<long> CountAsync(string channelId) => await Db.HashLengthAsync(VoiceKeys.Participants(channelId));

    public async Task<UserVoiceState?> GetAsync(string channelId, string userId) =>
        await Db.HashGetAsync(VoiceKeys.Participants(channelId), userId) is { HasValue: true } value ? Parse(value) : null;

    /// <summary>Adds (or replaces) the user's state in the channel's call; the call's participants before it.</summary>
    public async Task<long> AddAsync(string channelId, UserVoiceState state)
    {
        var transaction = Db.CreateTransaction();
        var before = transaction.HashLengthAsync(VoiceKeys.Participants(channelId));
        _ = transaction.HashSetAsync(VoiceKeys.Participants(channelId), state.Id, JsonSerializer.Serialize(state));
        _ = transaction.SetAddAsync(VoiceKeys.UserChannels(state.Id), channelId);
        _ = transaction.SetAddAsync(VoiceKeys.Calls, channelId);
        await transaction.ExecuteAsync();
        return await before;
    }

    /// <summary>Writes a changed state, only while the user is still in the call.</summary>
    public async Task<bool> ReplaceAsync(string channelId, UserVoiceState state)
    {
        var transaction = Db.CreateTransaction();
        transaction.AddCondition(Condition.HashExists(VoiceKeys.Participants(channelId), state.Id));
        _ = transaction.HashSetAsync(VoiceKeys.Participants(channelId), state.Id, JsonSerializer.Serialize(state));
        return await transaction.ExecuteAsync();
    }

    /// <summary>Removes the user from the channel's call: whether they were in it, and how many remain.</summary>
    public async Task<(bool Removed, long Remaining)> RemoveAsync(string channelId, string userId)
    {
        var transaction = Db.CreateTransaction();
        var removed = transaction.HashDeleteAsync(VoiceKeys.Participants(channelId), userId);
        _ = transaction.SetRemoveAsync(VoiceKeys.UserChannels(userId), channelId);
        var remaining = transaction.HashLengthAsync(VoiceKeys.Participants(channelId));
        await transaction.ExecuteAsync();
        if (await remaining == 0)
        {
            await Db.KeyDeleteAsync(VoiceKeys.Node(channelId));
            await Db.SetRemoveAsync(VoiceKeys.Calls, channelId);
        }
        return (await removed, await remaining);
    }

    /// <summary>Ends the channel's call (LiveKit closed the room): the users who were still in it.</summary>
    public async Task<IReadOnlyList<string>> ClearAsync(string channelId)
    {
        var users = (await Db.HashKeysAsync(VoiceKeys.Participants(channelId))).Select(v => v.ToString()).ToList();
        var transaction = Db.CreateTransaction();
        foreach (var user in users) _ = transaction.SetRemoveAsync(VoiceKeys.UserChannels(user), channelId);
        _ = transaction.KeyDeleteAsync([VoiceKeys.Participants(channelId), VoiceKeys.Node(channelId)]);
        _ = transaction.SetRemoveAsync(VoiceKeys.Calls, channelId);
        await transaction.ExecuteAsync();
        return users;
    }

    /// <summary>How many calls are in progress, and how many people are in them.</summary>
    public async Task<(int Calls, long Participants)> CountAllAsync()
    {
        var calls = await Db.SetMembersAsync(VoiceKeys.Calls);
        var batch = Db.CreateBatch();
        var counts = calls.Select(id => batch.HashLengthAsync(VoiceKeys.Participants(id.ToString()))).ToList();
        batch.Execute();
        return (calls.Length, (await Task.WhenAll(counts)).Sum());
    }

    public async Task<string?> NodeAsync(string channelId) => await Db.StringGetAsync(VoiceKeys.Node(channelId));

    /// <summary>Records the call's node unless it has one: the node the first caller chose wins.</summary>
    public async Task<string> ClaimNodeAsync(string channelId, string node) =>
        await Db.StringSetAsync(VoiceKeys.Node(channelId), node, when: When.NotExists) ? node : (string?)await Db.StringGetAsync(VoiceKeys.Node(channelId)) ?? node;

    private static UserVoiceState Parse(RedisValue value) => JsonSerializer.Deserialize<UserVoiceState>(value.ToString())!;
}
