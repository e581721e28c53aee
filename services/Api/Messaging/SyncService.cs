using System.Text.RegularExpressions;
using Spokes.Api.Community;
using Spokes.Api.Errors;
using Spokes.Api.Events;
using Spokes.Api.Storage;
using Spokes.Permissions;

namespace Spokes.Api.Messaging;

/// <summary>What follows a user across devices: how far they have read each channel, and their client settings.</summary>
public sealed partial class SyncService(CommunityAccess access, IUnreadStore unreads, ISettingsStore settings, EventPublisher events)
{
    private const int MaxSettings = 100;
    private const int MaxSettingLength = 250_000;

    [GeneratedRegex("^[A-Za-z0-9_:-]{1,64}$", RegexLimits.UserInput, RegexLimits.MatchTimeoutMilliseconds)]
    private static partial Regex SettingKey();

    public async Task AckChannelAsync(User actor, string channelId, string messageId, CancellationToken cancellationToken)
    {
        (await access.InChannelAsync(actor, channelId, cancellationToken)).Require(ChannelPermission.ViewChannel);
        MessageRules.RequireId(messageId, "message");
        await unreads.AckAsync(actor.Id, [channelId], messageId, cancellationToken);
        await events.PublishAsync(EventPublisher.PrivateTopic(actor.Id), new ChannelAckEvent(channelId, actor.Id, messageId));
    }

    public Task<IReadOnlyList<ChannelUnread>> UnreadsAsync(User actor, CancellationToken cancellationToken) => unreads.ListAsync(actor.Id, cancellationToken);

    /// <summary>Each stored key as <c>[timestamp, value]</c>; unknown keys are left out.</summary>
    public async Task<Dictionary<string, object[]>> FetchSettingsAsync(User actor, IReadOnlyList<string>? keys, CancellationToken cancellationToken)
    {
        if (keys is null) throw StoatException.FailedValidation("keys is required");
        if (keys.Count > MaxSettings) throw StoatException.FailedValidation($"at most {MaxSettings} keys");
        return Wire(await settings.GetAsync(actor.Id, keys, cancellationToken));
    }

    /// <summary>Writes settings stamped <paramref name="timestamp"/> (milliseconds; now when absent); a newer stored value wins.</summary>
    public async Task SetSettingsAsync(User actor, long? timestamp, Dictionary<string, string>? values, CancellationToken cancellationToken)
    {
        if (values is null) throw StoatException.FailedValidation("the body must be an object of string values");
        if (values.Count > MaxSettings) throw StoatException.FailedValidation($"at most {MaxSettings} settings");
        if (values.Keys.FirstOrDefault(k => !SettingKey().IsMatch(k)) is { } badKey)
            throw StoatException.FailedValidation($"'{badKey}' is not a setting name (letters, digits, _ : -, up to 64)");
        if (values.Values.Any(v => v is null || v.Length > MaxSettingLength)) throw StoatException.FailedValidation($"each value is a string of at most {MaxSettingLength} characters");
        if (timestamp is < 0) throw StoatException.FailedValidation("timestamp must not be negative");
        var stamp = timestamp ?? access.Now.ToUnixTimeMilliseconds();
        var written = await settings.SetAsync(actor.Id, values.ToDictionary(v => v.Key, v => new SyncedSetting(stamp, v.Value)), cancellationToken);
        if (written.Count > 0)
            await events.PublishAsync(EventPublisher.PrivateTopic(actor.Id), new UserSettingsUpdateEvent(actor.Id, Wire(written)));
    }

    internal static Dictionary<string, object[]> Wire(IReadOnlyDictionary<string, SyncedSetting> values) =>
        values.ToDictionary(v => v.Key, v => new object[] { v.Value.Timestamp, v.Value.Value });
}
