using System.Globalization;
using System.Text.RegularExpressions;

namespace SampleHost.Plugins;

/// <summary>
/// The plugin contract versions a plugin supports, from its manifest's <c>hostApi</c>: one or more comparisons
/// separated by spaces, all of which must hold, e.g. <c>"&gt;=1.0 &lt;2.0"</c>. Operators: <c>&gt;=</c>, <c>&gt;</c>,
/// <c>&lt;=</c>, <c>&lt;</c>, <c>=</c> (or none, meaning <c>=</c>). Versions are <c>major.minor</c> or
/// <c>major.minor.patch</c>; missing parts count as 0, so <c>1.0</c> equals <c>1.0.0</c>.
/// </summary>
public sealed partial class HostApiRange
{
    private readonly IReadOnlyList<(string Op, Version Version)> comparisons;
    private readonly string text;

    private HostApiRange(string text, IReadOnlyList<(string, Version)> comparisons)
    {
        this.text = text;
        this.comparisons = comparisons;
    }

    [GeneratedRegex(@"^(>=|<=|>|<|=)?(\d+)\.(\d+)(?:\.(\d+))?$")]
    private static partial Regex Comparison();

    public static bool TryParse(string? text, out HostApiRange range)
    {
        range = null!;
        var parts = (text ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0) return false;
        var list = new List<(string, Version)>();
        foreach (var part in parts)
        {
            var m = Comparison().Match(part);
            if (!m.Success) return false;
            static int Num(Group g) => g.Success ? int.Parse(g.Value, CultureInfo.InvariantCulture) : 0;
            try { list.Add((m.Groups[1].Success ? m.Groups[1].Value : "=", new Version(Num(m.Groups[2]), Num(m.Groups[3]), Num(m.Groups[4])))); }
            catch (OverflowException) { return false; }
        }
        range = new HostApiRange(string.Join(' ', parts), list);
        return true;
    }

    public bool Includes(Version version)
    {
        var v = new Version(version.Major, version.Minor, Math.Max(version.Build, 0));
        return comparisons.All(c => c.Op switch
        {
            ">=" => v >= c.Version,
            ">" => v > c.Version,
            "<=" => v <= c.Version,
            "<" => v < c.Version,
            _ => v == c.Version,
        });
    }

    public override string ToString() => text;
}
