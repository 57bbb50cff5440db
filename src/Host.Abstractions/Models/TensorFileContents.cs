using static TorchSharp.torch;

namespace Host.Abstractions;

/// <summary>A tensor file's header: metadata and, per tensor, its dtype name (e.g. "F32") and shape.</summary>
public sealed record TensorFileHeader(IReadOnlyDictionary<string, string> Metadata, IReadOnlyDictionary<string, (string Dtype, long[] Shape)> Tensors);

/// <summary>The tensors (on the CPU) and metadata of a tensor file. Disposing it disposes the tensors.</summary>
public sealed class TensorFileContents(IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string> metadata) : IDisposable
{
    /// <summary>Tensors by name.</summary>
    public IReadOnlyDictionary<string, Tensor> Tensors { get; } = tensors;

    /// <summary>The file's string metadata (empty when it has none).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; } = metadata;

    /// <summary>Disposes every tensor.</summary>
    public void Dispose()
    {
        foreach (var t in Tensors.Values) t.Dispose();
    }
}
