namespace Host.Abstractions;

/// <summary>A held lease on a loaded model; disposing it releases the lease.</summary>
public interface IModelLease : IDisposable
{
    /// <summary>Shared or exclusive.</summary>
    LeaseMode Mode { get; }

    /// <summary>The leased model.</summary>
    ILoadedModel Model { get; }
}
