namespace Spokes.Api.Events;

/// <summary>Stoat's <c>MessageAppend</c>: embeds added to a message after it was sent (January's, from its links).</summary>
public sealed record MessageAppendEvent(string Id, string Channel, MessageAppendEvent.Appended Append) : StoatEvent
{
    public override string Type => "MessageAppend";

    public sealed record Appended(IReadOnlyList<Storage.MessageEmbed> Embeds);
}
