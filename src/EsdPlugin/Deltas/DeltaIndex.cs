using Host.Abstractions;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace EsdPlugin.Deltas;

/// <summary>
/// What the store knows of its files, kept beside them (<c>deltas/.index.json</c>) so that a generation's guard does not
/// re-read and re-hash every delta: per file its size and write time, its metadata, its stamp (the file's SHA-256),
/// or the reason it cannot be read, and the loaded bases (by model fingerprint) it was checked against, with the
/// outcome. A file whose size or write time changed is read again; the index is rewritten only when something changed.
/// A damaged or foreign index is rebuilt from the files.
/// </summary>
internal sealed class DeltaIndex(string folder, ITensorFiles files, Action<string>? warn = null)
{
    public const string FileName = ".index.json";
    private const int Version = 1;

    private sealed class Entry
    {
        public required long Length { get; init; }
        public required long WriteTicks { get; init; }
        public DeltaInfo? Info { get; init; }
        public string? Problem { get; init; }
        /// <summary>Model fingerprint -> whether the delta's recorded base fingerprint matched that model's originals.</summary>
        public Dictionary<string, bool> Checked { get; init; } = new(StringComparer.Ordinal);
        /// <summary>Whether its signature is this installation's (null: not checked yet).</summary>
        public bool? Vouched { get; set; }
    }

    private readonly object _gate = new();
    private Dictionary<string, Entry>? _entries; // by file name
    private bool _dirty;

    private string IndexPath => Path.Combine(folder, FileName);

    /// <summary>Every delta file of the folder, read again where it changed; unreadable ones go to <paramref name="problems"/>.</summary>
    public List<DeltaInfo> Refresh(ICollection<string>? problems = null)
    {
        lock (_gate)
        {
            _entries ??= LoadIndex();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var result = new List<DeltaInfo>();
            if (Directory.Exists(folder))
                foreach (var path in Directory.EnumerateFiles(folder, "*.safetensors").Order(StringComparer.Ordinal))
                {
                    var name = Path.GetFileName(path);
                    seen.Add(name);
                    FileInfo file;
                    try
                    {
                        // Through a symlink: the target's size and time, so a changed target is read again.
                        file = new FileInfo(path);
                        if (file.LinkTarget is not null && file.ResolveLinkTarget(returnFinalTarget: true) is FileInfo target) file = target;
                        _ = file.Length;
                    }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException) { problems?.Add($"{path}: {e.Message}"); continue; }
                    if (!_entries.TryGetValue(name, out var entry) || entry.Length != file.Length || entry.WriteTicks != file.LastWriteTimeUtc.Ticks)
                    {
                        entry = Read(path, file);
                        _entries[name] = entry;
                        _dirty = true;
                    }
                    if (entry.Info is { } info) result.Add(info);
                    else problems?.Add($"{path}: {entry.Problem}");
                }
            foreach (var gone in _entries.Keys.Where(k => !seen.Contains(k)).ToList())
            {
                _entries.Remove(gone);
                _dirty = true;
            }
            Save();
            return result;
        }
    }

    /// <summary>The recorded outcome of checking <paramref name="delta"/> against the model with this fingerprint, if any.</summary>
    public bool? Checked(DeltaInfo delta, string modelFingerprint)
    {
        lock (_gate)
            return Find(delta) is { } e && e.Checked.TryGetValue(modelFingerprint, out var ok) ? ok : null;
    }

    public void RecordCheck(DeltaInfo delta, string modelFingerprint, bool matches)
    {
        lock (_gate)
        {
            if (Find(delta) is not { } e) return;
            e.Checked[modelFingerprint] = matches;
            _dirty = true;
            Save();
        }
    }

    public bool? Vouched(DeltaInfo delta)
    {
        lock (_gate) return Find(delta)?.Vouched;
    }

    public void RecordVouched(DeltaInfo delta, bool vouched)
    {
        lock (_gate)
        {
            if (Find(delta) is not { } e) return;
            e.Vouched = vouched;
            _dirty = true;
            Save();
        }
    }

    /// <summary>Forgets a file (it changed under a reader, e.g. its stamp no longer matches).</summary>
    public void Forget(string path)
    {
        lock (_gate)
            if (_entries?.Remove(Path.GetFileName(path)) == true)
            {
                _dirty = true;
                Save();
            }
    }

    private Entry? Find(DeltaInfo delta) =>
        _entries is not null && _entries.TryGetValue(Path.GetFileName(delta.Path), out var e) && e.Info?.Stamp == delta.Stamp ? e : null;

    private Entry Read(string path, FileInfo file)
    {
        try
        {
            var info = DeltaFile.Inspect(files, path);
            return new Entry { Length = file.Length, WriteTicks = file.LastWriteTimeUtc.Ticks, Info = Lazy(info) };
        }
        catch (Exception e) when (e is not (OperationCanceledException or OutOfMemoryException))
        {
            // One bad file never blocks the store: it is skipped, and said once (until it changes).
            warn?.Invoke($"skipping {path}: {e.Message}");
            return new Entry { Length = file.Length, WriteTicks = file.LastWriteTimeUtc.Ticks, Problem = e.Message };
        }
    }

    /// <summary>The same description with the tensor list read from the file again when needed (the index keeps none).</summary>
    private DeltaInfo Lazy(DeltaInfo info) => DeltaFile.FromMetadata(info.Path, info.Metadata, info.Stamp, TensorsOf(info.Path));

    private Func<IReadOnlyDictionary<string, long[]>> TensorsOf(string path) =>
        () => files.ReadHeader(path).Tensors.ToDictionary(kv => kv.Key, kv => kv.Value.Shape);

    private Dictionary<string, Entry> LoadIndex()
    {
        var entries = new Dictionary<string, Entry>(StringComparer.Ordinal);
        if (!File.Exists(IndexPath)) return entries;
        try
        {
            var root = JObject.Parse(File.ReadAllText(IndexPath));
            if ((int?)root["version"] != Version || root["files"] is not JObject byName) return entries;
            foreach (var (name, value) in byName)
            {
                if (value is not JObject o || name.Contains('/') || name.Contains('\\')) continue;
                var path = Path.Combine(folder, name);
                long length = (long)o["length"]!, ticks = (long)o["write_ticks"]!;
                var check = o["checked"] is JObject c ? c.Properties().ToDictionary(p => p.Name, p => (bool)p.Value, StringComparer.Ordinal) : [];
                if (o["problem"] is { Type: JTokenType.String } problem)
                {
                    entries[name] = new Entry { Length = length, WriteTicks = ticks, Problem = (string)problem! };
                    continue;
                }
                var metadata = ((JObject)o["metadata"]!).Properties().ToDictionary(p => p.Name, p => (string)p.Value!, StringComparer.Ordinal);
                var info = DeltaFile.FromMetadata(path, metadata, (string)o["stamp"]!, TensorsOf(path));
                entries[name] = new Entry { Length = length, WriteTicks = ticks, Info = info, Checked = check, Vouched = (bool?)o["vouched"] };
            }
        }
        catch (Exception e) when (e is JsonException or InvalidCastException or NullReferenceException or InvalidDataException
                                      or ArgumentException or IOException or FormatException)
        {
            entries.Clear(); // rebuilt from the files
        }
        return entries;
    }

    private void Save()
    {
        if (!_dirty || _entries is null || !Directory.Exists(folder)) return;
        var byName = new JObject();
        foreach (var (name, e) in _entries.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var o = new JObject { ["length"] = e.Length, ["write_ticks"] = e.WriteTicks };
            if (e.Info is { } info)
            {
                o["stamp"] = info.Stamp;
                o["metadata"] = new JObject(info.Metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => new JProperty(kv.Key, kv.Value)));
                o["checked"] = new JObject(e.Checked.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => new JProperty(kv.Key, kv.Value)));
                if (e.Vouched is { } vouched) o["vouched"] = vouched;
            }
            else o["problem"] = e.Problem;
            byName[name] = o;
        }
        var text = new JObject { ["version"] = Version, ["files"] = byName }.ToString(Formatting.Indented);
        try
        {
            files.WriteAtomically(IndexPath, temp => File.WriteAllText(temp, text));
            _dirty = false;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A read-only store still works, only slower: the index is a cache.
        }
    }

}
