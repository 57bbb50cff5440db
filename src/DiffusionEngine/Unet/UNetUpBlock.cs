using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionEngine.Unet;

/// <summary>An up block of the U-Net: each resnet takes the hidden state concatenated with one skip connection.</summary>
public abstract class UNetUpBlock(string name) : nn.Module(name)
{
    /// <summary>How many skip connections the block consumes (one per resnet).</summary>
    public abstract int ResnetCount { get; }

    /// <param name="skips">This block's skip connections in the order the down path produced them; the last is used first.</param>
    /// <param name="upsampleSize">[H, W] for the upsampler when the input size is not a multiple of the overall factor; null doubles.</param>
    public abstract Tensor Forward(Tensor hidden, IReadOnlyList<Tensor> skips, Tensor temb, Tensor encoderHiddenStates, long[]? upsampleSize);
}
