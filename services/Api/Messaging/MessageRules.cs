using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Spokes.Api.Errors;
using Spokes.Api.Models;
using Spokes.Api.Storage;

namespace Spokes.Api.Messaging;

/// <summary>What a message says beyond its text: who and what it mentions, and the links January should embed.</summary>
public sealed record MessageMentions(IReadOnlyList<string> Users, IReadOnlyList<string> Roles, bool Everyone, bool Online);

/// <summary>Stoat's rules for message content, mentions, embeds, reactions and ids, apart from any storage.</summary>
public static partial class MessageRules
{
    /// <summary>Stoat's id for the author of system messages.</summary>
    public const string SystemAuthor = "00000000000000000000000000";

    public static readonly TimeSpan BulkDeleteMaxAge = TimeSpan.FromDays(7);

    public const int MaxQueryLimit = 100;

    public const int DefaultQueryLimit = 50;

    public const int MaxSearchLength = 64;

    /// <summary>The most links one message asks January to embed, as Stoat's January caps them.</summary>
    public const int MaxEmbeddedLinks = 5;

    [GeneratedRegex("<@([0-9A-HJKMNP-TV-Z]{26})>", RegexLimits.UserInput, RegexLimits.MatchTimeoutMilliseconds)]
    private static partial Regex UserMention();

    [GeneratedRegex("<%([0-9A-HJKMNP-TV-Z]{26})>", RegexLimits.UserInput, RegexLimits.MatchTimeoutMilliseconds)]
    private static partial Regex RoleMention();

    // Not inside a word or `code`. The character before is matched rather than looked behind at, which the
    // non-backtracking engine cannot do; it never belongs to an earlier match, as those end in a letter.
    [GeneratedRegex(@"(?:^|[^\w`])@(everyone|online)\b", RegexLimits.UserInput, RegexLimits.MatchTimeoutMilliseconds)]
    private static partial Regex MassMention();

    public static MessageMentions FindMentions(string? content) => content is null
        ? new MessageMentions([], [], false, false)
        : new MessageMentions(
            UserMention().Matches(content).Select(m => m.Groups[1].Value).Distinct().ToList(),
            RoleMention().Matches(content).Select(m => m.Groups[1].Value).Distinct().ToList(),
            MassMention().Matches(content).Any(m => m.Groups[1].Value == "everyone"),
            MassMention().Matches(content).Any(m => m.Groups[1].Value == "online"));

    /// <summary>The distinct http(s) links of the content that January should embed, at most <see cref="MaxEmbeddedLinks"/>.</summary>
    public static IReadOnlyList<string> FindLinks(string? content) => content is null ? [] : LinkScanner.Find(content, MaxEmbeddedLinks);

    /// <summary>Text and embed text count together against the length limit, as in Stoat.</summary>
    public static void RequireLength(string? content, IReadOnlyList<SendableEmbed>? embeds, int maxLength)
    {
        var length = (content?.Length ?? 0) + (embeds ?? []).Sum(e => (e.Title?.Length ?? 0) + (e.Description?.Length ?? 0));
        if (length > maxLength) throw StoatException.PayloadTooLarge();
    }

    /// <summary>A search query: 1–64 characters, without NUL, which SQLite's full-text index reads as the end of the query.</summary>
    public static void RequireSearchQuery(string? query)
    {
        Community.Validation.Length(query, "query", 1, MaxSearchLength);
        if (query?.Contains('\0') == true) throw StoatException.FailedValidation("query must not contain NUL characters");
    }

    public static TextEmbed ToEmbed(SendableEmbed embed)
    {
        Community.Validation.Length(embed.IconUrl, "embeds.icon_url", 1, 256);
        Community.Validation.Length(embed.Url, "embeds.url", 1, 256);
        Community.Validation.Length(embed.Title, "embeds.title", 1, 100);
        Community.Validation.Length(embed.Description, "embeds.description", 1, 2000);
        RequireColour(embed.Colour, "embeds.colour");
        // Embed media are files claimed from Autumn, which holds none yet.
        if (embed.Media is not null) throw StoatException.UnknownAttachment();
        return new TextEmbed(embed.IconUrl, embed.Url, embed.Title, embed.Description, embed.Colour);
    }

    public static void RequireColour(string? colour, string field)
    {
        if (colour is null) return;
        Community.Validation.Length(colour, field, 1, 128);
        if (!Community.CssColour.IsValid(colour)) throw StoatException.FailedValidation($"{field} is not a CSS colour");
    }

    public static void RequireMasquerade(Masquerade masquerade)
    {
        Community.Validation.Length(masquerade.Name, "masquerade.name", 1, 32);
        Community.Validation.Length(masquerade.Avatar, "masquerade.avatar", 1, 256);
        RequireColour(masquerade.Colour, "masquerade.colour");
    }

    /// <summary>A message id: a ULID, in Crockford base 32, upper case.</summary>
    public static bool IsId(string? value) => value is { Length: 26 } && Ulid.TryParse(value, out var parsed) && parsed.ToString() == value;

    public static string RequireId(string? value, string field) =>
        IsId(value) ? value! : throw StoatException.FailedValidation($"{field} must be a message id");

    /// <summary>
    /// An emoji to react with: a custom emoji's id, or one Unicode emoji (a pictograph, with its modifiers,
    /// joiners, keycaps and flags) — never text.
    /// </summary>
    public static bool IsUnicodeEmoji(string value)
    {
        if (value.Length is 0 or > 32) return false;
        var pictographs = 0;
        foreach (var rune in value.EnumerateRunes())
        {
            var code = rune.Value;
            var joiner = code is 0x200D or 0xFE0F or 0x20E3 || code is >= 0x1F3FB and <= 0x1F3FF || code is >= 0xE0020 and <= 0xE007F;
            var keycapBase = code is '#' or '*' || code is >= '0' and <= '9';
            var pictograph = code is >= 0x1F000 and <= 0x1FAFF || code is >= 0x2100 and <= 0x27BF || code is >= 0x2900 and <= 0x2BFF
                || code is 0x3030 or 0x303D or 0x3297 or 0x3299 || code is 0xA9 or 0xAE;
            if (pictograph) pictographs++;
            else if (!joiner && !(keycapBase && value.Contains('\u20E3'))) return false;
            if (Rune.GetUnicodeCategory(rune) is UnicodeCategory.Control or UnicodeCategory.SpaceSeparator) return false;
        }
        return pictographs > 0 || value.Contains('\u20E3');
    }
}
