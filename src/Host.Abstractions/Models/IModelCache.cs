namespace Host.Abstractions;

/// <summary>The host's loaded models. A plugin borrows them through leases and never loads a second copy.</summary>
public interface IModelCache
{
    /// <summary>The folder of the model the host is working with, or null when none is selected.</summary>
    string? ActiveModelFolder { get; }

    /// <summary>
    /// Leases the active model (loading it if needed). Shared leases may be held together (generation);
    /// an exclusive lease waits for them and excludes all others (changing weights).
    /// </summary>
    Task<IModelLease> AcquireAsync(LeaseMode mode, CancellationToken cancellation = default);
}
