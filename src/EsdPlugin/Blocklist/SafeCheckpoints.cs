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

    /// <summary>Whether the live weights carry a safe checkpoint for this base covering every blocked concept.</summary>
    public static bool LiveCovers(EsdServices services, ILoadedModel model, IReadOnlyList<string> blocked) =>
        blocked.Count == 0 || LiveDelta(services, model) is { } live && live.Covers(blocked) && IsSafeFor(services, model, live);

    /// <summary>The stored delta the live weights carry, or null (original weights, or a patch not in the store).</summary>
    public static DeltaInfo? LiveDelta(EsdServices services, ILoadedModel model) =>
        model.Patches.LiveStamp is { } stamp ? services.Store.FindByStamp(stamp) : null;

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
