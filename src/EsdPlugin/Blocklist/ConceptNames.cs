namespace EsdPlugin.Blocklist;

/// <summary>Concepts compare as users mean them: trimmed, inner spaces collapsed, case ignored.</summary>
internal static class ConceptNames
{
    public static string Normalize(string concept) =>
        string.Join(' ', concept.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)).ToLowerInvariant();

    public static bool Same(string a, string b) => Normalize(a) == Normalize(b);

    /// <summary>
    /// Whether <paramref name="text"/> names <paramref name="concept"/> as whole words ("a striped red star" names
    /// "star" and "striped", not "tar"; "star-like" names "star"); case and punctuation ignored.
    /// </summary>
    public static bool Mentions(string text, string concept)
    {
        var words = Words(text);
        var wanted = Words(concept);
        if (wanted.Length == 0) return false;
        for (int i = 0; i + wanted.Length <= words.Length; i++)
            if (words.AsSpan(i, wanted.Length).SequenceEqual(wanted)) return true;
        return false;
    }

    private static string[] Words(string text)
    {
        var words = new List<string>();
        var word = new System.Text.StringBuilder();
        foreach (var c in text.ToLowerInvariant() + " ")
        {
            if (char.IsLetterOrDigit(c) || c == '\'') word.Append(c);
            else if (word.Length > 0) { words.Add(word.ToString()); word.Clear(); }
        }
        return words.ToArray();
    }

    /// <summary>Concepts for a message: all of them when few, else the first ten and how many more.</summary>
    public static string Describe(IReadOnlyList<string> concepts, int shown = 10) =>
        concepts.Count <= shown ? string.Join(", ", concepts)
            : string.Join(", ", concepts.Take(shown)) + $" and {concepts.Count - shown:N0} more";
}
