namespace EsdPlugin.Deltas;

/// <summary>
/// What a delta file says about itself. <see cref="BaseFingerprint"/> is null for a file without our metadata
/// (as the authors' scripts write: trained tensors only), whose base cannot be verified. The tensor list is read
/// from the file's header when first asked for (the store's index keeps only their count).
/// </summary>
internal sealed class DeltaInfo(
    string path, string name, IReadOnlyList<string> concepts, string? method, string? baseFingerprint,
    IReadOnlyDictionary<string, string> metadata, string stamp, Func<IReadOnlyDictionary<string, long[]>> tensors)
{
    private readonly Lazy<IReadOnlyDictionary<string, long[]>> _tensors = new(tensors);

    public string Path { get; } = path;
    public string Name { get; } = name;
    public IReadOnlyList<string> Concepts { get; } = concepts;
    public string? Method { get; } = method;
    public string? BaseFingerprint { get; } = baseFingerprint;
    public IReadOnlyDictionary<string, string> Metadata { get; } = metadata;

    /// <summary>"esd:" and the first 16 hex digits of the file's SHA-256: what a loaded delta leaves on the model.</summary>
    public string Stamp { get; } = stamp;

    /// <summary>Tensor shapes by diffusers name.</summary>
    public IReadOnlyDictionary<string, long[]> Tensors => _tensors.Value;

    public bool HasOurMetadata => BaseFingerprint is not null;

    /// <summary>The model family it was made for ("sd1", "sdxl"); deltas from before SDXL was supported are SD 1.x.</summary>
    public string Family => Metadata.TryGetValue("family", out var f) && f.Length > 0 ? f : "sd1";

    /// <summary>Whether the delta erases every one of <paramref name="concepts"/> (normalised comparison).</summary>
    public bool Covers(IEnumerable<string> concepts) =>
        concepts.All(c => Concepts.Any(d => Blocklist.ConceptNames.Same(c, d)));
}
