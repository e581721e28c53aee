namespace Spokes.Contracts.Commands;

/// <summary>
/// January's answer to <see cref="IntegrationEvents.MessageLinksPosted"/>, sent to the Api, which owns messages: add
/// <paramref name="Embeds"/> (each one Stoat <c>Embed</c> as JSON, in the order of the message's links) to the
/// message and tell its channel with <c>MessageAppend</c>. <paramref name="LinksEventId"/> is the event answered, so
/// a redelivered answer is applied once.
/// </summary>
public sealed record AppendMessageEmbeds(Guid LinksEventId, string MessageId, string ChannelId, IReadOnlyList<string> Embeds);
