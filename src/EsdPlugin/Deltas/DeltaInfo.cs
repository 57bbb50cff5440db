namespace EsdPlugin.Deltas;

/// <summary>
/// What a delta file says about itself. <see cref="BaseFingerprint"/> is null for a file without our metadata
/// (as the authors' scripts write: trained tensors only), whose base cannot be verified.
/// </summary>
internal sealed record DeltaInfo(
    string Path, string Name, IReadOnlyList<string> Concepts, string? Method, string? BaseFingerprint,
    IReadOnlyDictionary<string, string> Metadata, IReadOnlyDictionary<string, long[]> Tensors, string Stamp)
{
    public bool HasOurMetadata => BaseFingerprint is not null;

    /// <summary>Whether the delta erases every one of <paramref name="concepts"/> (normalised comparison).</summary>
    public bool Covers(IEnumerable<string> concepts) =>
        concepts.All(c => Concepts.Any(d => Blocklist.ConceptNames.Same(c, d)));
}
