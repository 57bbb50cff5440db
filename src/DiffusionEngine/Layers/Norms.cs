using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DiffusionEngine.Layers;

/// <summary>Normalisation layers initialised as PyTorch initialises them.</summary>
public static class Norms
{
    /// <summary>
    /// A GroupNorm with weight 1 and bias 0. TorchSharp 0.107's nn.GroupNorm leaves its affine parameters
    /// as uninitialised memory (torch.empty), which gives NaNs in any model built without loading weights.
    /// </summary>
    public static GroupNorm GroupNorm(long groups, long channels, double eps)
    {
        var norm = nn.GroupNorm(groups, channels, eps: eps, device: ModuleBuild.Device);
        if (ModuleBuild.Device is { type: DeviceType.META }) return norm; // nothing to fill on the meta device
        using var noGrad = no_grad();
        norm.weight.fill_(1.0);
        norm.bias!.fill_(0.0);
        return norm;
    }
}
