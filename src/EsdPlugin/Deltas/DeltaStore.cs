using Host.Abstractions;

namespace EsdPlugin.Deltas;

/// <summary>
/// The plugin's deltas: <c>deltas/*.safetensors</c> in its private data folder, described by an index kept beside them
/// (<see cref="DeltaIndex"/>), so that what the guard asks on every generation costs a directory listing.
/// </summary>
internal sealed class DeltaStore(string folder, ITensorFiles files)
{
    private readonly DeltaIndex _index = new(folder, files);

    public string Folder { get; } = folder;

    /// <summary>Where a delta of this name is (or would be) stored.</summary>
    public string PathFor(string name)
    {
        var safe = new string(name.Trim().Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '-').ToArray()).Trim('.', '-');
        if (safe.Length == 0) throw new ArgumentException($"'{name}' cannot name a delta: use letters, digits, '-', '_' or '.'");
        return Path.Combine(Folder, safe + ".safetensors");
    }

    /// <summary>Every readable delta in the store (unreadable files are skipped and reported through <paramref name="problems"/>).</summary>
    public List<DeltaInfo> All(ICollection<string>? problems = null) => _index.Refresh(problems);

    /// <summary>A delta by store name, by file path, or by stamp.</summary>
    public DeltaInfo Resolve(string nameOrPath)
    {
        if (File.Exists(nameOrPath))
        {
            var full = Path.GetFullPath(nameOrPath);
            return All().FirstOrDefault(d => d.Path == full) ?? DeltaFile.Inspect(files, full);
        }
        var stored = PathFor(nameOrPath);
        if (File.Exists(stored)) return All().FirstOrDefault(d => d.Path == stored) ?? DeltaFile.Inspect(files, stored);
        var byStamp = All().FirstOrDefault(d => d.Stamp == nameOrPath || d.Name == nameOrPath);
        return byStamp ?? throw new FileNotFoundException(
            $"no delta '{nameOrPath}': not a file, and the store ({Folder}) has none of that name or stamp");
    }

    public DeltaInfo? FindByStamp(string stamp) => All().FirstOrDefault(d => d.Stamp == stamp);

    /// <summary>
    /// Whether the delta was made for this model's base (null: the file cannot tell), checked once per base and delta:
    /// the outcome is kept in the index under the model's fingerprint.
    /// </summary>
    public bool? MatchesBase(ILoadedModel model, DeltaInfo delta)
    {
        if (delta.BaseFingerprint is null) return null;
        if (_index.Checked(delta, model.Fingerprint) is { } known) return known;
        var matches = DeltaLoader.MatchesBase(model, delta) == true;
        _index.RecordCheck(delta, model.Fingerprint, matches);
        return matches;
    }

    /// <summary>Tells the index a file changed under it (its content no longer has the indexed stamp).</summary>
    public void Forget(DeltaInfo delta) => _index.Forget(delta.Path);
}
