using System.Text.RegularExpressions;

namespace Spokes.Api;

/// <summary>How every regular expression that reads user input runs: it cannot backtrack, and it gives up in time.</summary>
public static class RegexLimits
{
    /// <summary>
    /// The non-backtracking engine answers in time linear in the input, so no pattern can be made to run away
    /// (Stoat's colour pattern took seconds per request on a crafted gradient with the backtracking engine).
    /// </summary>
    public const RegexOptions UserInput = RegexOptions.NonBacktracking | RegexOptions.CultureInvariant;

    /// <summary>A backstop only: linear patterns over the Api's bounded inputs finish in microseconds.</summary>
    public const int MatchTimeoutMilliseconds = 500;
}
