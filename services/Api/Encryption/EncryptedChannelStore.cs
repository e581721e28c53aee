using System.Text.Json;
using Spokes.Api.Storage;

namespace Spokes.Api.Encryption;

/// <summary>
/// Channel descriptions (groups' and server channels') sealed under the channel's key, bound to its id. Names stay
/// plain: they are shown where a channel is listed before anyone has joined it (invites, server previews).
/// </summary>
public sealed class EncryptedChannelStore(IChannelStore inner, ContentKeys keys) : IChannelStore
{
    public async Task CreateAsync(Channel channel, CancellationToken cancellationToken = default) =>
        await inner.CreateAsync(await TransformAsync(channel, Seal, cancellationToken), cancellationToken);

    public async Task<Channel?> GetAsync(string id, CancellationToken cancellationToken = default) =>
        await OpenAsync(await inner.GetAsync(id, cancellationToken), cancellationToken);

    public async Task<IReadOnlyList<Channel>> ListByServerAsync(string serverId, CancellationToken cancellationToken = default) =>
        await OpenAllAsync(await inner.ListByServerAsync(serverId, cancellationToken), cancellationToken);

    public async Task<IReadOnlyList<Channel>> ListPrivateAsync(string userId, CancellationToken cancellationToken = default) =>
        await OpenAllAsync(await inner.ListPrivateAsync(userId, cancellationToken), cancellationToken);

    public async Task<Channel?> FindDirectAsync(string userId, string otherId, CancellationToken cancellationToken = default) =>
        await OpenAsync(await inner.FindDirectAsync(userId, otherId, cancellationToken), cancellationToken);

    public async Task<bool> UpdateAsync(string id, FieldUpdate update, CancellationToken cancellationToken = default)
    {
        if (!update.Changes.TryGetValue("description", out var json) || json is null) return await inner.UpdateAsync(id, update, cancellationToken);
        var key = await keys.ChannelKeyAsync(id, cancellationToken);
        var sealedUpdate = new FieldUpdate();
        foreach (var (path, value) in update.Changes)
        {
            if (path == "description") sealedUpdate.Set(path, SealedBox.SealText(key, JsonSerializer.Deserialize<string>(value!)!, SealedFields.ChannelDescription(id)));
            else if (value is null) sealedUpdate.Unset(path);
            else sealedUpdate.Set(path, JsonSerializer.Deserialize<JsonElement>(value));
        }
        foreach (var expectation in update.Expectations)
        {
            if (expectation.Present) sealedUpdate.ExpectPresent(expectation.Path);
            else sealedUpdate.Expect(expectation.Path, expectation.Json is null ? (JsonElement?)null : JsonSerializer.Deserialize<JsonElement>(expectation.Json));
        }
        return await inner.UpdateAsync(id, sealedUpdate, cancellationToken);
    }

    public Task<bool> AddRecipientAsync(string groupId, string userId, int maxRecipients, CancellationToken cancellationToken = default) =>
        inner.AddRecipientAsync(groupId, userId, maxRecipients, cancellationToken);

    public async Task<Group?> RemoveRecipientAsync(string groupId, string userId, CancellationToken cancellationToken = default) =>
        (Group?)await OpenAsync(await inner.RemoveRecipientAsync(groupId, userId, cancellationToken), cancellationToken);

    public Task DeleteAsync(string id, CancellationToken cancellationToken = default) => inner.DeleteAsync(id, cancellationToken);

    private static string Seal(byte[] key, string channelId, string description) => SealedBox.SealText(key, description, SealedFields.ChannelDescription(channelId));

    private static string Open(byte[] key, string channelId, string description) => SealedBox.OpenText(key, description, SealedFields.ChannelDescription(channelId));

    private async Task<Channel?> OpenAsync(Channel? channel, CancellationToken cancellationToken) =>
        channel is null ? null : await TransformAsync(channel, Open, cancellationToken);

    private async Task<IReadOnlyList<Channel>> OpenAllAsync(IReadOnlyList<Channel> channels, CancellationToken cancellationToken)
    {
        var opened = new List<Channel>(channels.Count);
        foreach (var channel in channels) opened.Add(await TransformAsync(channel, Open, cancellationToken));
        return opened;
    }

    /// <summary>The channel with its description passed through <paramref name="transform"/>; channels without one are left as they are.</summary>
    private async Task<Channel> TransformAsync(Channel channel, Func<byte[], string, string, string> transform, CancellationToken cancellationToken) => channel switch
    {
        Group { Description: { } description } group =>
            group with { Description = transform(await keys.ChannelKeyAsync(group.Id, cancellationToken), group.Id, description) },
        TextChannel { Description: { } description } text =>
            text with { Description = transform(await keys.ChannelKeyAsync(text.Id, cancellationToken), text.Id, description) },
        _ => channel,
    };
}
