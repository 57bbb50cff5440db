using Host.Abstractions;

namespace EsdPlugin.Deltas;

/// <summary>
/// The plugin's deltas: <c>deltas/*.safetensors</c> in its private data folder, described by an index kept beside them
/// (<see cref="DeltaIndex"/>), so that what the guard asks on every generation costs a directory listing.
/// </summary>
internal sealed class DeltaStore(string folder, ITensorFiles files, DeltaSigner signer, Action<string>? warn = null)
{
    private readonly DeltaIndex _index = new(folder, files, warn);

    public string Folder { get; } = folder;

    public DeltaSigner Signer => signer;

    /// <summary>Where a delta of this name is (or would be) stored; refuses a name that cannot be one.</summary>
    public string PathFor(string name) => Path.Combine(Folder, DeltaNames.FileNameOf(name) + ".safetensors");

    /// <summary>
    /// Checks, before any work, that a new delta can be stored under <paramref name="name"/>: a name the user chose
    /// must be valid and free (two names that clean up to one file count as the same); a default name is only checked.
    /// </summary>
    public void CheckNew(string name, bool chosen)
    {
        var path = PathFor(name);
        if (chosen && File.Exists(path))
            throw new ArgumentException($"a delta named '{name}' is already stored ({path}); choose another --name, or delete that file");
    }

    /// <summary>
    /// Writes a new delta, never replacing one: a chosen name that has been taken meanwhile is refused; a default one
    /// takes the first free of name, name-2, name-3, .... Returns the name used and its file.
    /// </summary>
    public (string Name, string Path) SaveNew(string name, bool chosen, Action<string, string> write)
    {
        for (int n = 1; ; n++)
        {
            var candidate = n == 1 ? name : $"{name}-{n}";
            var path = PathFor(candidate);
            if (!chosen && File.Exists(path)) continue;
            Directory.CreateDirectory(Folder);
            try
            {
                write(candidate, path);
                return (candidate, path);
            }
            catch (IOException) when (File.Exists(path))
            {
                if (chosen) throw new IOException($"a delta named '{name}' was stored by someone else meanwhile ({path}); nothing was replaced: choose another --name");
            }
        }
    }

    /// <summary>Whether this installation trained the delta (its signature checks), checked once per file and kept in the index.</summary>
    public bool IsVouchedFor(DeltaInfo delta)
    {
        if (!delta.HasOurMetadata) return false;
        if (_index.Vouched(delta) is { } known) return known;
        bool ok;
        try
        {
            using var contents = files.Read(delta.Path);
            ok = DeltaFile.Stamp(delta.Path) == delta.Stamp && signer.Verify(contents);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException) { ok = false; }
        _index.RecordVouched(delta, ok);
        return ok;
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
