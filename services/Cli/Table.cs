using System.Globalization;
using System.Text;
using Spokes.Contracts.Tunnels;

namespace Spokes.Cli;

/// <summary>A bordered text table, as Packetriot's tools print them.</summary>
public sealed class Table(params string[] headers)
{
    private readonly List<string[]> _rows = [];

    public Table Add(params string[] cells)
    {
        if (cells.Length != headers.Length) throw new ArgumentException($"A row has {cells.Length} cells; the table has {headers.Length} columns.");
        _rows.Add(cells);
        return this;
    }

    public override string ToString()
    {
        var widths = headers.Select((h, i) => _rows.Select(r => r[i].Length).Append(h.Length).Max()).ToArray();
        var rule = "+" + string.Join("+", widths.Select(w => new string('-', w + 2))) + "+";
        var text = new StringBuilder().AppendLine(rule).AppendLine(Line(headers)).AppendLine(rule);
        foreach (var row in _rows) text.AppendLine(Line(row));
        if (_rows.Count > 0) text.AppendLine(rule);
        return text.ToString();

        string Line(string[] cells) => "| " + string.Join(" | ", cells.Select((c, i) => c.PadRight(widths[i]))) + " |";
    }

    public static string Bytes(long bytes) => TrafficUnits.Bytes(bytes);

    public static string Duration(long seconds) => TrafficUnits.Duration(seconds);

    public static string Time(long unixSeconds) =>
        DateTimeOffset.FromUnixTimeSeconds(unixSeconds).ToLocalTime().ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);

    public static string YesNo(bool value) => value ? "yes" : "no";
}
