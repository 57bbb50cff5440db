using Host.Abstractions;

namespace SampleHost.LoadedModels;

/// <summary>A lease handed out by <see cref="ModelCache"/>; disposing it (once or more) releases it once.</summary>
public sealed class ModelLease : IModelLease
{
    private readonly Action<ModelLease> _release;
    private int _released;

    internal ModelLease(ModelKey key, ILoadedModel model, LeaseMode mode, Action<ModelLease> release)
    {
        Key = key;
        Model = model;
        Mode = mode;
        _release = release;
    }

    public ModelKey Key { get; }

    public ILoadedModel Model { get; }

    public LeaseMode Mode { get; }

    public bool IsReleased => Volatile.Read(ref _released) != 0;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0) _release(this);
    }
}
