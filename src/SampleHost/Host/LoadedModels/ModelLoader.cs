using Host.Abstractions;

namespace SampleHost.LoadedModels;

/// <summary>
/// Loads one model for the cache: builds its modules on <see cref="ModelKey.Device"/> in
/// <see cref="ModelKey.Dtype"/> from the folder's weights. Called on a worker thread, at most once at a time
/// per key; it should stop early when <paramref name="cancellation"/> is signalled. The cache owns the
/// result: when it is evicted the cache disposes it (if it is <see cref="IDisposable"/>), else its U-Net.
/// </summary>
public delegate ILoadedModel ModelLoader(ModelKey key, CancellationToken cancellation);
