using System.Text.RegularExpressions;

namespace Spokes.Api.Community;

/// <summary>
/// Stoat's colour rule for roles, masquerades and embeds (<c>RE_COLOUR</c>, crates/core/models): a CSS colour
/// name, a variable, <c>rgb()</c>/<c>rgba()</c> or hex, or a linear, conic or radial gradient of those, with an
/// optional angle, colour space and stops. The same pattern, run by the non-backtracking engine.
/// </summary>
public static partial class CssColour
{
    private const string Value = @"[a-z ]+|var\(--[a-z\d-]+\)|rgba?\([\d, ]+\)|#[a-f0-9]+";
    private const string Stop = @"([ ]+(\d{1,3}%|0))?";
    private const string ColourSpace = @"([ ]+in[ ]+[a-z-]+([ ]+(shorter|longer|increasing|decreasing)[ ]+hue)?)?";

    [GeneratedRegex($@"^(?:{Value}|(repeating-)?(linear|conic|radial)-gradient\(({Value}|\d+deg){ColourSpace}{Stop}(,[ ]*({Value}){Stop})+\))$",
        RegexLimits.UserInput | RegexOptions.IgnoreCase | RegexOptions.ExplicitCapture, RegexLimits.MatchTimeoutMilliseconds)]
    private static partial Regex Pattern();

    public static bool IsValid(string colour) => Pattern().IsMatch(colour);
}
