using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Spokes.Api.Encryption;

/// <summary>
/// Full-text search without the words on disk: each word of a message, normalised (case and diacritics folded, as
/// SQLite's unicode61 tokenizer did before), is stored as an HMAC under a key of its channel, in the order of the
/// text. A search turns its words into the same tokens, so the stores' full-text indexes (SQLite FTS5, MongoDB
/// <c>$text</c>) match tokens as they matched words. What the stored tokens reveal without the key: which messages of a
/// channel share a word, how often a word recurs, and the words' order and count — not the words.
/// </summary>
public static class BlindIndex
{
    /// <summary>Hex characters of a token: 64 bits, so that two words of a channel sharing one is a 2⁻⁶⁴ chance.</summary>
    private const int TokenBytes = 8;

    private static readonly byte[] IndexKeyLabel = Encoding.UTF8.GetBytes("spokes blind index v1");

    /// <summary>The channel's index key, from its data key: a new master password keeps every token valid.</summary>
    public static byte[] IndexKey(ReadOnlySpan<byte> dataKey) => HMACSHA256.HashData(dataKey, IndexKeyLabel);

    /// <summary>The words of <paramref name="text"/>, normalised: letters and digits, lower case, without diacritics.</summary>
    public static IReadOnlyList<string> Words(string text)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        foreach (var c in text)
        {
            // A mark written apart from its letter (decomposed text) is dropped, as a precomposed one is folded below.
            if (CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark)
                continue;
            if (char.IsLetterOrDigit(c))
            {
                word.Append(Fold(char.ToLowerInvariant(c)));
            }
            else if (word.Length > 0)
            {
                words.Add(word.ToString());
                word.Clear();
            }
        }
        if (word.Length > 0) words.Add(word.ToString());
        return words;
    }

    /// <summary>
    /// U+00C0–U+017F (Latin-1 Supplement, Latin Extended-A) folded as SQLite's unicode61 tokenizer folds them with
    /// remove_diacritics: the base letter of a letter with a diacritic, lower case. A table, because the services run
    /// with invariant globalization, where string.Normalize does not decompose.
    /// </summary>
    private const string LatinFolds = "aaaaaaæceeeeiiiiðnooooo×øuuuuyþßaaaaaaæceeeeiiiiðnooooo÷øuuuuyþyaaaaaaccccccccddđđeeeeeeeeeegggggggghhħħiiiiiiiiiıĳĳjjkkĸllllllŀŀłłnnnnnnŉŋŋooooooœœrrrrrrssssssssttttŧŧuuuuuuuuuuuuwwyyyzzzzzzſ";

    private static char Fold(char c) => c is >= '\u00C0' and <= '\u017F' ? LatinFolds[c - '\u00C0'] : c;

    /// <summary>What the store indexes for <paramref name="text"/>: its words' tokens, space-separated, in order; null when it has no words.</summary>
    public static string? Tokens(ReadOnlySpan<byte> indexKey, string? text)
    {
        if (text is null) return null;
        var words = Words(text);
        if (words.Count == 0) return null;
        using var hmac = new HMACSHA256(indexKey.ToArray());
        return string.Join(' ', words.Select(w => Token(hmac, w)));
    }

    /// <summary>
    /// A search box's text with each word replaced by its token, keeping its form: words stay words (any of them
    /// matches) and a "quoted phrase" stays a phrase of tokens. Quotes are parsed by hand, nothing backtracks.
    /// </summary>
    public static string Query(ReadOnlySpan<byte> indexKey, string text)
    {
        using var hmac = new HMACSHA256(indexKey.ToArray());
        var terms = new List<string>();
        var position = 0;
        while (position < text.Length)
        {
            if (text[position] == '"' && text.IndexOf('"', position + 1) is var close and > 0)
            {
                if (Phrase(hmac, Words(text[(position + 1)..close])) is { } phrase) terms.Add(phrase);
                position = close + 1;
                continue;
            }
            var end = position;
            while (end < text.Length && !char.IsWhiteSpace(text[end]) && (text[end] != '"' || end == position)) end++;
            // "e-mail" is one term of two words, matched as a phrase as the full-text index read it before.
            if (Phrase(hmac, Words(text[position..end])) is { } term) terms.Add(term);
            position = end == position ? end + 1 : end;
        }
        return string.Join(' ', terms);
    }

    private static string? Phrase(HMACSHA256 hmac, IReadOnlyList<string> words) => words.Count switch
    {
        0 => null,
        1 => Token(hmac, words[0]),
        _ => "\"" + string.Join(' ', words.Select(w => Token(hmac, w))) + "\"",
    };

    private static string Token(HMACSHA256 hmac, string word) =>
        Convert.ToHexStringLower(hmac.ComputeHash(Encoding.UTF8.GetBytes(word)), 0, TokenBytes);
}
