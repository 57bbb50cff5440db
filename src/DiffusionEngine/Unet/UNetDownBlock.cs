using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionEngine.Unet;

/// <summary>A down block of the U-Net: it hands one skip connection per resnet (and one after its downsampler) to the up path.</summary>
public abstract class UNetDownBlock(string name) : nn.Module(name)
{
    /// <summary>Runs the block and appends its skip outputs to <paramref name="skips"/> in order.</summary>
    /// <param name="hidden">[B, in, H, W]</param>
    /// <param name="temb">[B, timeEmbedDim]</param>
    /// <param name="encoderHiddenStates">[B, 77, crossAttentionDim] (unused by blocks without attention)</param>
    public abstract Tensor Forward(Tensor hidden, Tensor temb, Tensor encoderHiddenStates, List<Tensor> skips);
}
