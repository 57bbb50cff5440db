using EsdPlugin.Deltas;
using Host.Abstractions;

namespace EsdPlugin.Blocklist;

/// <summary>Which stored deltas make a model safe for a blocklist.</summary>
internal static class SafeCheckpoints
{
    /// <summary>Normalised, distinct blocked concepts of a project (empty when none or no project).</summary>
    public static List<string> Blocked(IProject? project) =>
        project?.Blocklist.Select(ConceptNames.Normalize).Where(c => c.Length > 0).Distinct().ToList() ?? [];

    /// <summary>Deltas this installation trained (signature checked) for this model's base (fingerprint checked).</summary>
    public static List<DeltaInfo> ForBase(EsdServices services, ILoadedModel model) =>
        services.Store.All().Where(d => services.Store.MatchesBase(model, d) == true && services.Store.IsVouchedFor(d)).ToList();

    /// <summary>The best delta covering every blocked concept: fewest extra concepts, then newest.</summary>
    public static DeltaInfo? Covering(IEnumerable<DeltaInfo> candidates, IReadOnlyList<string> blocked) =>
        candidates.Where(d => d.Covers(blocked))
            .OrderBy(d => d.Concepts.Count)
            .ThenByDescending(d => File.GetLastWriteTimeUtc(d.Path))
            .FirstOrDefault();

    /// <summary>Whether the live weights carry a delta this installation trained for this base, covering every blocked concept.</summary>
    public static bool LiveCovers(EsdServices services, ILoadedModel model, IReadOnlyList<string> blocked)
    {
        if (blocked.Count == 0) return true;
        if (model.Patches.LiveStamp is not { } stamp) return false;
        var live = services.Store.FindByStamp(stamp);
        return live is not null && live.Covers(blocked) && services.Store.MatchesBase(model, live) == true && services.Store.IsVouchedFor(live);
    }
}
