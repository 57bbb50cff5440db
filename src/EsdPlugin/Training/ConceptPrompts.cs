namespace EsdPlugin.Training;

/// <summary>Concept prompt templates: "{}" is replaced by the concept's name.</summary>
internal static class ConceptPrompts
{
    public const string Placeholder = "{}";
    public const string Bare = Placeholder;

    /// <summary>The templates, checked: at least one, each with exactly one placeholder.</summary>
    public static IReadOnlyList<string> Validate(IReadOnlyList<string> templates)
    {
        if (templates.Count == 0) throw new ArgumentException("at least one prompt template is needed");
        foreach (var t in templates)
        {
            int first = t.IndexOf(Placeholder, StringComparison.Ordinal);
            if (first < 0 || t.IndexOf(Placeholder, first + 1, StringComparison.Ordinal) >= 0)
                throw new ArgumentException($"prompt template \"{t}\" must contain {Placeholder} exactly once");
        }
        return templates;
    }

    /// <summary>Whether a kept entry is a sentence (used as it is) rather than a concept's name (put in the templates).</summary>
    public static bool IsSentence(string entry) => entry.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries).Length >= 3;

    /// <summary>Every prompt of <paramref name="concept"/>, one per template.</summary>
    public static IReadOnlyList<string> For(string concept, IReadOnlyList<string> templates) =>
        templates.Select(t => t.Replace(Placeholder, concept, StringComparison.Ordinal)).ToList();
}
