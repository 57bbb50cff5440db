namespace ShapesWorld.Evaluation;

/// <summary>
/// The shipped prompts judged as two sets: prompts that ask for one attribute ("a star") and prompts that mix
/// several ("a striped red star on black"). An erasure can look clean on the first and still cost the other
/// concepts on the second, so each set is reported on its own.
/// </summary>
public static class PromptSets
{
    public const string OneAttribute = "one-attribute";
    public const string Mixed = "mixed";

    /// <summary>The prompts of every <c>*.jsonl</c> under a model's <c>prompts/</c>, in file-name order (empty when there is none).</summary>
    public static IReadOnlyList<EvalPrompt> ReadFolder(string modelFolder)
    {
        var folder = Path.Combine(modelFolder, "prompts");
        return Directory.Exists(folder) ? Directory.GetFiles(folder, "*.jsonl").Order(StringComparer.Ordinal).SelectMany(PromptFile.Read).ToList() : [];
    }

    /// <summary>The non-empty sets, one-attribute first; a prompt that expects nothing belongs to neither.</summary>
    public static IReadOnlyList<(string Name, IReadOnlyList<EvalPrompt> Prompts)> Split(IEnumerable<EvalPrompt> prompts)
    {
        var all = prompts.ToList();
        var sets = new List<(string, IReadOnlyList<EvalPrompt>)>();
        var one = all.Where(p => p.Expect.Count == 1).ToList();
        var mixed = all.Where(p => p.Expect.Count > 1).ToList();
        if (one.Count > 0) sets.Add((OneAttribute, one));
        if (mixed.Count > 0) sets.Add((Mixed, mixed));
        return sets;
    }
}
