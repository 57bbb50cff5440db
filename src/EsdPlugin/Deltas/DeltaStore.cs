using Host.Abstractions;

namespace EsdPlugin.Deltas;

/// <summary>The plugin's deltas: <c>deltas/*.safetensors</c> in its private data folder.</summary>
internal sealed class DeltaStore(string folder, ITensorFiles files)
{
    public string Folder { get; } = folder;

    /// <summary>Where a delta of this name is (or would be) stored.</summary>
    public string PathFor(string name)
    {
        var safe = new string(name.Trim().Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '-').ToArray()).Trim('.', '-');
        if (safe.Length == 0) throw new ArgumentException($"'{name}' cannot name a delta: use letters, digits, '-', '_' or '.'");
        return Path.Combine(Folder, safe + ".safetensors");
    }

    /// <summary>Every readable delta in the store (unreadable files are skipped and reported through <paramref name="problems"/>).</summary>
    public List<DeltaInfo> All(ICollection<string>? problems = null)
    {
        var result = new List<DeltaInfo>();
        if (!Directory.Exists(Folder)) return result;
        foreach (var path in Directory.EnumerateFiles(Folder, "*.safetensors").Order(StringComparer.Ordinal))
        {
            try { result.Add(DeltaFile.Inspect(files, path)); }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or InvalidOperationException)
            { problems?.Add($"{path}: {e.Message}"); }
        }
        return result;
    }

    /// <summary>A delta by store name, by file path, or by stamp.</summary>
    public DeltaInfo Resolve(string nameOrPath)
    {
        if (File.Exists(nameOrPath)) return DeltaFile.Inspect(files, Path.GetFullPath(nameOrPath));
        var stored = PathFor(nameOrPath);
        if (File.Exists(stored)) return DeltaFile.Inspect(files, stored);
        var byStamp = All().FirstOrDefault(d => d.Stamp == nameOrPath || d.Name == nameOrPath);
        return byStamp ?? throw new FileNotFoundException(
            $"no delta '{nameOrPath}': not a file, and the store ({Folder}) has none of that name or stamp");
    }

    public DeltaInfo? FindByStamp(string stamp) => All().FirstOrDefault(d => d.Stamp == stamp);
}
