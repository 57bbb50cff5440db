using System.Globalization;
using EsdPlugin.Deltas;
using EsdPlugin.Training;
using Host.Abstractions;

namespace EsdPlugin.Blocklist;

/// <summary>
/// Which stored deltas make a model safe for a blocklist: trained by this installation (signature checked), for this
/// base (fingerprint checked), and at full length: at least the iterations the model's defaults give for its concepts
/// and method. A short trial run ("does it work?") stays a usable edit but never unlocks a project.
/// </summary>
internal static class SafeCheckpoints
{
    /// <summary>Normalised, distinct blocked concepts of a project (empty when none or no project).</summary>
    public static List<string> Blocked(IProject? project) =>
        project?.Blocklist.Select(ConceptNames.Normalize).Where(c => c.Length > 0).Distinct().ToList() ?? [];

    /// <summary>Deltas this installation trained for this model's base (signature and fingerprint checked), of any length.</summary>
    public static List<DeltaInfo> TrainedForBase(EsdServices services, ILoadedModel model) =>
        services.Store.All().Where(d => services.Store.MatchesBase(model, d) == true && services.Store.IsVouchedFor(d)).ToList();

    /// <summary>The safe checkpoints for this model's base: trained here, for it, at full length.</summary>
    public static List<DeltaInfo> ForBase(EsdServices services, ILoadedModel model) =>
        TrainedForBase(services, model).Where(d => IsFullLength(model, d)).ToList();

    /// <summary>The best delta covering every blocked concept: fewest extra concepts, then newest.</summary>
    public static DeltaInfo? Covering(IEnumerable<DeltaInfo> candidates, IReadOnlyList<string> blocked) =>
        candidates.Where(d => d.Covers(blocked))
            .OrderBy(d => d.Concepts.Count)
            .ThenByDescending(d => File.GetLastWriteTimeUtc(d.Path))
            .FirstOrDefault();

    /// <summary>
    /// The stored safe checkpoints that together cover every blocked concept: the best single one when one covers them
    /// all, else one per concept not yet covered; null when some concept has none.
    /// </summary>
    public static IReadOnlyList<DeltaInfo>? CoveringSet(IReadOnlyList<DeltaInfo> candidates, IReadOnlyList<string> blocked)
    {
        if (Covering(candidates, blocked) is { } one) return [one];
        var chosen = new List<DeltaInfo>();
        foreach (var concept in blocked)
        {
            if (chosen.Any(d => d.Covers([concept]))) continue;
            if (Covering(candidates, [concept]) is not { } part) return null;
            chosen.Add(part);
        }
        return chosen;
    }

    /// <summary>Whether the live weights carry safe checkpoints for this base covering every blocked concept.</summary>
    public static bool LiveCovers(EsdServices services, ILoadedModel model, IReadOnlyList<string> blocked) =>
        blocked.Count == 0 || LiveEdit(services, model) is { } live && Covers(services, model, live, blocked);

    /// <summary>
    /// Whether a composition makes the model safe for a blocklist: every part a safe checkpoint for this base at strength
    /// exactly 1 (a weaker part may not erase, any other part may bring a concept back), together erasing every concept.
    /// </summary>
    public static bool Covers(EsdServices services, ILoadedModel model, Composition composition, IReadOnlyList<string> blocked) =>
        composition.Parts.All(p => p.Strength == 1 && p.Delta is { } d && IsSafeFor(services, model, d))
        && blocked.All(c => composition.Parts.Any(p => p.Delta?.Covers([c]) == true));

    /// <summary>
    /// What the live weights carry: a composition this session applied, a stored delta (at strength 1), or null (the
    /// original weights, or a patch the plugin does not know).
    /// </summary>
    public static Composition? LiveEdit(EsdServices services, ILoadedModel model)
    {
        if (model.Patches.LiveStamp is not { } stamp) return null;
        if (services.Applied.TryGetValue(stamp, out var applied)) return applied;
        return services.Store.FindByStamp(stamp) is { } delta ? Composition.Of([new EditPart(delta)]) : null;
    }

    public static bool IsSafeFor(EsdServices services, ILoadedModel model, DeltaInfo delta) =>
        services.Store.MatchesBase(model, delta) == true && services.Store.IsVouchedFor(delta) && IsFullLength(model, delta);

    /// <summary>The iterations a delta records having trained (null without the plugin's metadata).</summary>
    public static int? TrainedIterations(DeltaInfo delta) =>
        delta.Metadata.TryGetValue("iterations", out var text) && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n : null;

    /// <summary>
    /// The iterations a safe checkpoint for <paramref name="concepts"/> made with <paramref name="method"/> needs on
    /// this model: what its defaults (esd_defaults.json, else the family's) would train.
    /// </summary>
    public static int RequiredIterations(ILoadedModel model, IReadOnlyList<string> concepts, EsdMethod? method) =>
        EsdDefaults.For(model.Folder, concepts, method, model.Family).Iterations;

    public static bool IsFullLength(ILoadedModel model, DeltaInfo delta) =>
        TrainedIterations(delta) is { } trained && trained >= RequiredIterations(model, delta.Concepts, MethodOf(delta));

    private static EsdMethod? MethodOf(DeltaInfo delta)
    {
        if (delta.Method is not { } name) return null;
        try { return EsdMethods.Parse(name); }
        catch (ArgumentException) { return null; }
    }

    /// <summary>Why no safe checkpoint covers <paramref name="blocked"/> although trained deltas do (short runs), or null.</summary>
    public static string? WhyShortOnesDoNotCount(EsdServices services, ILoadedModel model, IReadOnlyList<string> blocked)
    {
        var shortOnes = TrainedForBase(services, model).Where(d => d.Covers(blocked) && !IsFullLength(model, d)).ToList();
        if (shortOnes.Count == 0) return null;
        var d = shortOnes[0];
        return $"'{d.Name}' erases them but was trained for {TrainedIterations(d)?.ToString(CultureInfo.InvariantCulture) ?? "an unknown number of"} iterations, " +
               $"fewer than the {RequiredIterations(model, d.Concepts, MethodOf(d))} a safe checkpoint needs (the model's defaults)" +
               (shortOnes.Count > 1 ? $", and {shortOnes.Count - 1} more like it" : "");
    }
}
