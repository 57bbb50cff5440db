using System.Text;

namespace SampleHost.Projects;

/// <summary>
/// How blocklist concepts are written and compared: trimmed, inner whitespace collapsed to one space,
/// compared without regard to case ("Star", " star " and "STAR" are one concept).
/// </summary>
public static class BlocklistConcepts
{
    public static StringComparer Comparer => StringComparer.OrdinalIgnoreCase;

    /// <summary>The concept in its stored form; empty when it has no visible characters.</summary>
    public static string Normalize(string concept)
    {
        ArgumentNullException.ThrowIfNull(concept);
        var sb = new StringBuilder(concept.Length);
        bool pendingSpace = false;
        foreach (var c in concept)
        {
            if (char.IsWhiteSpace(c)) { pendingSpace = sb.Length > 0; continue; }
            if (pendingSpace) { sb.Append(' '); pendingSpace = false; }
            sb.Append(c);
        }
        return sb.ToString();
    }

    /// <summary>The index of <paramref name="concept"/> (any spelling) in <paramref name="blocklist"/>, or -1.</summary>
    public static int IndexOf(IReadOnlyList<string> blocklist, string concept)
    {
        var normalized = Normalize(concept);
        for (int i = 0; i < blocklist.Count; i++)
            if (Comparer.Equals(Normalize(blocklist[i]), normalized)) return i;
        return -1;
    }

    /// <summary>The concepts for a message: all of them when few, else the first ten and how many more.</summary>
    public static string Describe(IReadOnlyList<string> blocklist, int shown = 10) =>
        blocklist.Count <= shown ? string.Join(", ", blocklist)
            : string.Join(", ", blocklist.Take(shown)) + $" and {blocklist.Count - shown:N0} more";
}
