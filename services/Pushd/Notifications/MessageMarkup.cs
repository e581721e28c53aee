using System.Text;

namespace Spokes.Pushd.Notifications;

/// <summary>What a mention in message text refers to: <c>&lt;@user&gt;</c>, <c>&lt;#channel&gt;</c>, <c>&lt;%role&gt;</c>, <c>:emoji:</c>.</summary>
public enum ReferenceKind { User, Channel, Role, Emoji }

/// <summary>
/// Finds the ids a message's text refers to and writes the text with names in their place, as Stoat's pushd renders
/// notification bodies (<c>@name</c>, <c>#name</c>, <c>%name</c>, <c>:name:</c>). A hand-written scanner: it sees
/// user input, so no backtracking regular expression.
/// </summary>
public static class MessageMarkup
{
    /// <summary>Stoat's ids are ULIDs: 26 characters of Crockford base32.</summary>
    private const int IdLength = 26;

    public static IReadOnlyDictionary<ReferenceKind, IReadOnlySet<string>> References(string text)
    {
        var found = Enum.GetValues<ReferenceKind>().ToDictionary(k => k, _ => new HashSet<string>(StringComparer.Ordinal));
        Scan(text, (kind, id) => found[kind].Add(id), _ => { });
        return found.ToDictionary(e => e.Key, e => (IReadOnlySet<string>)e.Value);
    }

    /// <summary>The text with each reference replaced by its name, or by Stoat's "Unknown …" when the id is unknown.</summary>
    public static string Render(string text, Func<ReferenceKind, string, string?> name)
    {
        var result = new StringBuilder(text.Length);
        Scan(text, (kind, id) => result.Append(kind switch
        {
            ReferenceKind.User => "@" + (name(kind, id) ?? "Unknown User"),
            ReferenceKind.Channel => "#" + (name(kind, id) ?? "Unknown Channel"),
            ReferenceKind.Role => "%" + (name(kind, id) ?? "Unknown Role"),
            _ => ":" + (name(kind, id) ?? "Unknown Emoji") + ":",
        }), literal => result.Append(literal));
        return result.ToString();
    }

    private static void Scan(string text, Action<ReferenceKind, string> reference, Action<string> literal)
    {
        var span = text.AsSpan();
        var start = 0;
        var i = 0;
        while (i < span.Length)
        {
            if (Match(span, i) is { } match)
            {
                if (i > start) literal(text[start..i]);
                reference(match.Kind, text.Substring(match.IdStart, IdLength));
                i += match.Length;
                start = i;
            }
            else
            {
                i++;
            }
        }
        if (start < span.Length) literal(text[start..]);
    }

    private static (ReferenceKind Kind, int IdStart, int Length)? Match(ReadOnlySpan<char> text, int at)
    {
        // <@ID>, <#ID>, <%ID>: 29 characters; :ID:: 28.
        if (text[at] == '<' && at + IdLength + 3 <= text.Length && text[at + IdLength + 2] == '>' && IsId(text.Slice(at + 2, IdLength)))
        {
            ReferenceKind? kind = text[at + 1] switch { '@' => ReferenceKind.User, '#' => ReferenceKind.Channel, '%' => ReferenceKind.Role, _ => null };
            if (kind is { } k) return (k, at + 2, IdLength + 3);
        }
        if (text[at] == ':' && at + IdLength + 2 <= text.Length && text[at + IdLength + 1] == ':' && IsId(text.Slice(at + 1, IdLength)))
            return (ReferenceKind.Emoji, at + 1, IdLength + 2);
        return null;
    }

    private static bool IsId(ReadOnlySpan<char> candidate)
    {
        foreach (var c in candidate)
        {
            if (c is not ((>= '0' and <= '9') or (>= 'A' and <= 'Z'))) return false;
        }
        return true;
    }
}
