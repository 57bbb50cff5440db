using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionEngine.SingleFile;

/// <summary>What a module expects of one of its tensors: shape and dtype (a state_dict entry without its values).</summary>
internal sealed record TargetTensor(long[] Shape, ScalarType Dtype)
{
    /// <summary>Every tensor of a module's state_dict, by name.</summary>
    public static IReadOnlyDictionary<string, TargetTensor> Of(nn.Module module) =>
        module.state_dict().ToDictionary(kv => kv.Key, kv => new TargetTensor(kv.Value.shape, kv.Value.dtype), StringComparer.Ordinal);
}
