namespace Spokes.Api.Messaging;

/// <summary>
/// The links of a message that January should embed, found as Stoat's <c>process_embeds</c> finds them: not inside
/// code (<c>`…`</c> or <c>```…```</c>), not in a quoted line (one that starts with <c>&gt;</c>), not written as
/// <c>&lt;http…&gt;</c> (the author asked for no embed), without their <c>#fragment</c>. A single pass over the
/// text, so its cost is linear in the message's length whatever it holds.
/// </summary>
public static class LinkScanner
{
    // Characters that end a link, and those that end a sentence rather than belong to the link before them.
    private const string Stops = "<>\"'`";
    private const string Trailing = ".,;:!?)]";

    public static IReadOnlyList<string> Find(string content, int max)
    {
        var links = new List<string>();
        var lineStart = true;
        var i = 0;
        while (i < content.Length && links.Count < max)
        {
            var c = content[i];
            if (lineStart && c == '>')
            {
                i = EndOfLine(content, i);
                continue;
            }
            lineStart = c == '\n';
            if (c == '`')
            {
                i = AfterCode(content, i);
                continue;
            }
            if (c == '<' && StartsWithScheme(content, i + 1) > 0)
            {
                // Up to the line's last '>', as Stoat's pattern reads it; without one, only the link itself.
                var close = content.LastIndexOf('>', EndOfLine(content, i) - 1, EndOfLine(content, i) - i);
                i = close > i ? close + 1 : EndOfLink(content, i + 1);
                continue;
            }
            if (StartsWithScheme(content, i) is var scheme and > 0 && (i == 0 || !IsWordCharacter(content[i - 1])))
            {
                var end = EndOfLink(content, i);
                var link = content[i..end].TrimEnd(Trailing.ToCharArray());
                if (link.IndexOf('#') is var fragment and >= 0) link = link[..fragment];
                if (link.Length > scheme && !links.Contains(link)) links.Add(link);
                i = end;
                continue;
            }
            i++;
        }
        return links;
    }

    /// <summary>The length of <c>http://</c> or <c>https://</c> at <paramref name="at"/>, or 0.</summary>
    private static int StartsWithScheme(string text, int at)
    {
        var rest = text.AsSpan(Math.Min(at, text.Length));
        if (rest.StartsWith("http://", StringComparison.OrdinalIgnoreCase)) return 7;
        return rest.StartsWith("https://", StringComparison.OrdinalIgnoreCase) ? 8 : 0;
    }

    private static int EndOfLink(string text, int at)
    {
        var end = at;
        while (end < text.Length && !char.IsWhiteSpace(text[end]) && !Stops.Contains(text[end])) end++;
        return end;
    }

    private static int EndOfLine(string text, int at) => text.IndexOf('\n', at) is var end and >= 0 ? end : text.Length;

    /// <summary>
    /// Past the code span that opens at <paramref name="at"/>: three or more backticks open a block closed by three,
    /// fewer open a span closed by the next backtick; an opening never closed is text.
    /// </summary>
    private static int AfterCode(string text, int at)
    {
        var run = at;
        while (run < text.Length && text[run] == '`') run++;
        var fence = run - at >= 3 ? "```" : "`";
        var close = text.IndexOf(fence, run, StringComparison.Ordinal);
        return close >= 0 ? close + fence.Length : run;
    }

    private static bool IsWordCharacter(char c) => char.IsLetterOrDigit(c) || c == '_';
}
