namespace EsdPlugin.Blocklist;

/// <summary>Concepts compare as users mean them: trimmed, inner spaces collapsed, case ignored.</summary>
internal static class ConceptNames
{
    public static string Normalize(string concept) =>
        string.Join(' ', concept.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)).ToLowerInvariant();

    public static bool Same(string a, string b) => Normalize(a) == Normalize(b);

    /// <summary>Concepts for a message: all of them when few, else the first ten and how many more.</summary>
    public static string Describe(IReadOnlyList<string> concepts, int shown = 10) =>
        concepts.Count <= shown ? string.Join(", ", concepts)
            : string.Join(", ", concepts.Take(shown)) + $" and {concepts.Count - shown:N0} more";
}
