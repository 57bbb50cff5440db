using Host.Abstractions;

namespace SampleHost.Runtime;

/// <summary>Stands in for the model cache until this build has one: every use says so.</summary>
internal sealed class NoModelCache : IModelCache
{
    private static InvalidOperationException Missing() => new("no model cache in this build yet");

    public string? ActiveModelFolder => throw Missing();

    public Task<IModelLease> AcquireAsync(LeaseMode mode, CancellationToken cancellation = default) => throw Missing();
}
