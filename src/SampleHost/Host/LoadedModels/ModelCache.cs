using System.Diagnostics;
using Host.Abstractions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using static TorchSharp.torch;

namespace SampleHost.LoadedModels;

/// <summary>
/// The host's loaded models: at most one copy per <see cref="ModelKey"/>, loaded on first lease by the
/// <see cref="ModelLoader"/> the host supplies, and lent out under reader/writer leases (shared for
/// generation, exclusive for changing weights). Beyond <see cref="Capacity"/> loaded models, the least
/// recently used ones are evicted, but only ever models that nobody holds or waits for.
/// </summary>
public sealed class ModelCache : IModelCache, IDisposable
{
    private readonly ModelLoader _loader;
    private readonly ILogger _log;
    private readonly object _gate = new();
    private readonly Dictionary<ModelKey, Entry> _entries = [];
    private ModelKey? _active;
    private long _clock;
    private bool _disposed;

    /// <param name="loader">Builds a model for a key (the engine's loader).</param>
    /// <param name="capacity">How many models may stay loaded; leased ones may exceed it until released.</param>
    public ModelCache(ModelLoader loader, int capacity = 1, ILogger<ModelCache>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(loader);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _loader = loader;
        Capacity = capacity;
        _log = logger ?? (ILogger)NullLogger.Instance;
    }

    public int Capacity { get; }

    /// <summary>The model <see cref="IModelCache.AcquireAsync"/> leases, or null before <see cref="Select(ModelKey?)"/>.</summary>
    public ModelKey? ActiveKey { get { lock (_gate) return _active; } }

    public string? ActiveModelFolder => ActiveKey?.Folder;

    /// <summary>Keys of the models loaded now.</summary>
    public IReadOnlyList<ModelKey> Loaded
    {
        get { lock (_gate) return _entries.Values.Where(e => e.Model is not null).Select(e => e.Key).ToList(); }
    }

    /// <summary>
    /// The loaded model of <paramref name="key"/> without a lease, or null when it is not loaded: for status displays
    /// that read what a patcher says of itself (its live stamp) while a training may hold the exclusive lease. Never
    /// for computing with it or changing it.
    /// </summary>
    public ILoadedModel? PeekLoaded(ModelKey key)
    {
        lock (_gate) return _entries.TryGetValue(key, out var e) ? e.Model : null;
    }

    /// <summary>Whether someone holds or waits for an exclusive lease on <paramref name="key"/> (a training, a weight swap).</summary>
    public bool IsExclusivelyLeased(ModelKey key)
    {
        lock (_gate) return _entries.TryGetValue(key, out var e) && e.Lock.IsWriteHeldOrWaited;
    }

    /// <summary>Makes a model the active one. Nothing is loaded until it is leased.</summary>
    /// <param name="config">For a single-file checkpoint: the folder of configs that describes it (see <see cref="ModelKey.For"/>).</param>
    public ModelKey Select(string folder, Device device, ScalarType dtype, string? config = null)
    {
        var key = ModelKey.For(folder, device, dtype, config);
        Select(key);
        return key;
    }

    /// <summary>Makes <paramref name="key"/> the active model (null: none).</summary>
    public void Select(ModelKey? key)
    {
        lock (_gate) _active = key;
    }

    /// <summary>Whether any lease on <paramref name="key"/> is held or awaited.</summary>
    public bool IsLeased(ModelKey key)
    {
        lock (_gate) return _entries.TryGetValue(key, out var e) && e.Pins > 0;
    }

    public async Task<IModelLease> AcquireAsync(LeaseMode mode, CancellationToken cancellation = default)
    {
        var key = ActiveKey ?? throw new InvalidOperationException("no model is selected: the host has not chosen a model folder yet");
        return await AcquireAsync(key, mode, cancellation).ConfigureAwait(false);
    }

    /// <summary>
    /// Leases the model of <paramref name="key"/>, loading it first if needed. Shared leases are held together;
    /// an exclusive one waits until every shared lease is released, and leases asked for after it wait for it.
    /// Cancelling a wait leaves the model and the other leases as they were.
    /// </summary>
    public async Task<ModelLease> AcquireAsync(ModelKey key, LeaseMode mode, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        Entry entry;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            cancellation.ThrowIfCancellationRequested();
            if (!_entries.TryGetValue(key, out entry!)) _entries[key] = entry = new Entry(key);
            // A pinned entry is never evicted: the pin covers loading, waiting for the lock and holding it.
            entry.Pins++;
            entry.LastUsed = ++_clock;
        }
        try
        {
            var model = await EnsureLoadedAsync(entry, cancellation).ConfigureAwait(false);
            if (mode == LeaseMode.Shared) await entry.Lock.EnterReadAsync(cancellation).ConfigureAwait(false);
            else await entry.Lock.EnterWriteAsync(cancellation).ConfigureAwait(false);
            return new ModelLease(key, model, mode, lease => Release(entry, lease.Mode));
        }
        catch
        {
            Unpin(entry);
            throw;
        }
    }

    /// <summary>Unloads <paramref name="key"/>'s model if it is loaded and unleased; false when it is leased or not loaded.</summary>
    public bool Evict(ModelKey key)
    {
        ILoadedModel? model;
        lock (_gate)
        {
            if (!_entries.TryGetValue(key, out var entry) || entry.Pins > 0 || entry.Model is null) return false;
            model = Remove(entry);
        }
        DisposeModel(key, model);
        return true;
    }

    /// <summary>Unloads every model nobody leases; returns how many.</summary>
    public int EvictUnleased()
    {
        List<(ModelKey, ILoadedModel?)> evicted;
        lock (_gate)
            evicted = _entries.Values.Where(e => e.Pins == 0).ToList().Select(e => (e.Key, Remove(e))).ToList();
        foreach (var (key, model) in evicted) DisposeModel(key, model);
        return evicted.Count(e => e.Item2 is not null);
    }

    /// <summary>Unloads unleased models now; leased ones are unloaded as their last lease is released.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
        }
        EvictUnleased();
    }

    private async Task<ILoadedModel> EnsureLoadedAsync(Entry entry, CancellationToken cancellation)
    {
        if (entry.Model is { } loaded) return loaded;
        await entry.LoadGate.WaitAsync(cancellation).ConfigureAwait(false);
        try
        {
            if (entry.Model is { } other) return other;
            MakeRoomFor(entry);
            var clock = Stopwatch.StartNew();
            _log.LogInformation("loading model {Model}", entry.Key);
            var model = await Task.Run(() => _loader(entry.Key, cancellation), cancellation).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"the model loader returned nothing for {entry.Key}");
            _log.LogInformation("loaded model {Model} in {Seconds:F1} s", entry.Key, clock.Elapsed.TotalSeconds);
            entry.Model = model;
            return model;
        }
        finally
        {
            entry.LoadGate.Release();
        }
    }

    /// <summary>Evicts least recently used unleased models until one more fits within the capacity.</summary>
    private void MakeRoomFor(Entry incoming)
    {
        List<(ModelKey, ILoadedModel?)> evicted;
        lock (_gate) evicted = TrimLocked(Capacity - 1, except: incoming);
        foreach (var (key, model) in evicted) DisposeModel(key, model);
    }

    private void Release(Entry entry, LeaseMode mode)
    {
        if (mode == LeaseMode.Shared) entry.Lock.ExitRead();
        else entry.Lock.ExitWrite();
        Unpin(entry);
    }

    private void Unpin(Entry entry)
    {
        List<(ModelKey, ILoadedModel?)> evicted;
        lock (_gate)
        {
            entry.Pins--;
            entry.LastUsed = ++_clock;
            if (entry.Pins == 0 && (entry.Model is null || _disposed))
            {
                // Never loaded (the load failed or was cancelled), or the cache is shutting down.
                evicted = [(entry.Key, Remove(entry))];
            }
            else evicted = TrimLocked(Capacity, except: null);
        }
        foreach (var (key, model) in evicted) DisposeModel(key, model);
    }

    private List<(ModelKey, ILoadedModel?)> TrimLocked(int target, Entry? except)
    {
        var loaded = _entries.Values.Where(e => e.Model is not null && e != except).ToList();
        var evicted = new List<(ModelKey, ILoadedModel?)>();
        foreach (var e in loaded.Where(e => e.Pins == 0).OrderBy(e => e.LastUsed))
        {
            if (loaded.Count - evicted.Count <= target) break;
            evicted.Add((e.Key, Remove(e)));
        }
        return evicted;
    }

    private ILoadedModel? Remove(Entry entry)
    {
        if (_entries.TryGetValue(entry.Key, out var current) && current == entry) _entries.Remove(entry.Key);
        var model = entry.Model;
        entry.Model = null;
        return model;
    }

    private void DisposeModel(ModelKey key, ILoadedModel? model)
    {
        if (model is null) return;
        try
        {
            if (model is IDisposable disposable) disposable.Dispose();
            else model.Unet.Dispose();
            _log.LogInformation("unloaded model {Model}", key);
        }
        catch (Exception e)
        {
            _log.LogWarning(e, "unloading model {Model} failed", key);
        }
    }

    private sealed class Entry(ModelKey key)
    {
        public ModelKey Key { get; } = key;
        public AsyncReaderWriterLock Lock { get; } = new();
        public SemaphoreSlim LoadGate { get; } = new(1, 1);
        private volatile ILoadedModel? _model;
        public ILoadedModel? Model { get => _model; set => _model = value; }
        public int Pins { get; set; }   // under the cache's lock
        public long LastUsed { get; set; }
    }
}
