using System.Security.Cryptography;

namespace Spokes.TunnelEdge;

/// <summary>Host names of tunnels: what is valid, what a tunnel may claim, and how a request's Host finds a route.</summary>
public static class Hostnames
{
    /// <summary>A DNS name of letters, digits and hyphens (lower-cased by <see cref="Normalize"/>); a leading <c>*.</c> for a wildcard route.</summary>
    public static bool IsValid(string name)
    {
        if (name.Length is 0 or > 253) return false;
        var labels = name.Split('.');
        for (var i = 0; i < labels.Length; i++)
        {
            var label = labels[i];
            if (i == 0 && label == "*" && labels.Length > 2) continue;
            if (label.Length is 0 or > 63 || label[0] == '-' || label[^1] == '-') return false;
            if (!label.All(c => c is >= 'a' and <= 'z' or >= '0' and <= '9' or '-')) return false;
        }
        return true;
    }

    public static string Normalize(string name) => name.Trim().TrimEnd('.').ToLowerInvariant();

    /// <summary>A name given without a dot is a label under the edge's domain.</summary>
    public static string Qualify(string name, string domain) => name.Contains('.') ? Normalize(name) : $"{Normalize(name)}.{domain}";

    /// <summary>An unguessable label for a tunnel registered without a hostname.</summary>
    public static string Generate(string domain)
    {
        const string alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
        return $"{RandomNumberGenerator.GetString(alphabet.AsSpan(0, 26), 1)}{RandomNumberGenerator.GetString(alphabet, 9)}.{domain}";
    }

    /// <summary>
    /// Whether a tunnel whose assigned hostname is <paramref name="assigned"/> may serve <paramref name="requested"/>:
    /// its own name and names under it; no other name under the edge's domain (those are the operator's to hand
    /// out); any other domain (the user's own, pointed here by DNS) unless another tunnel claimed it first.
    /// </summary>
    public static bool MayClaim(string requested, string assigned, string domain)
    {
        var bare = requested.StartsWith("*.", StringComparison.Ordinal) ? requested[2..] : requested;
        if (bare == assigned || bare.EndsWith("." + assigned, StringComparison.Ordinal)) return true;
        return bare != domain && !bare.EndsWith("." + domain, StringComparison.Ordinal);
    }

    /// <summary>The route names that may serve <paramref name="host"/>, most specific first: the name itself, then wildcards upwards.</summary>
    public static IEnumerable<string> Candidates(string host)
    {
        yield return host;
        var dot = host.IndexOf('.');
        while (dot >= 0 && host.IndexOf('.', dot + 1) >= 0)
        {
            yield return "*" + host[dot..];
            dot = host.IndexOf('.', dot + 1);
        }
    }
}
