using static TorchSharp.torch;

namespace Host.Abstractions;

/// <summary>How a <see cref="PatchPart"/>'s tensors contribute to a weight whose original value is <c>w0</c>.</summary>
public enum PatchForm
{
    /// <summary>Full edited values <c>v</c>: the part adds <c>strength · (v − w0)</c> (an ESD delta, a checkpoint's U-Net).</summary>
    Weights,

    /// <summary>Differences <c>d</c>: the part adds <c>strength · d</c> (a LoRA's <c>diff</c>, or its <c>up · down · alpha / rank</c>).</summary>
    Difference,
}

/// <summary>
/// One edit of a composed patch, at a strength (1: as trained; 0: no effect). The tensors are by U-Net parameter name
/// (diffusers names), each of the parameter's shape. Added in contract 2.2.
/// </summary>
public sealed record PatchPart(IReadOnlyDictionary<string, Tensor> Tensors, double Strength = 1, PatchForm Form = PatchForm.Weights)
{
    /// <summary>The largest strength magnitude a host accepts.</summary>
    public const double MaxStrength = 10;
}
