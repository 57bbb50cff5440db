namespace EsdPlugin.Blocklist;

/// <summary>Concepts compare as users mean them: trimmed, inner spaces collapsed, case ignored.</summary>
internal static class ConceptNames
{
    public static string Normalize(string concept) =>
        string.Join(' ', concept.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)).ToLowerInvariant();

    public static bool Same(string a, string b) => Normalize(a) == Normalize(b);
}
