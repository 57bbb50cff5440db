using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DiffusionEngine.Layers;

/// <summary>diffusers' TimestepEmbedding: linear_1, SiLU, linear_2.</summary>
public sealed class TimestepEmbedding : nn.Module<Tensor, Tensor>
{
    private readonly Linear linear_1;
    private readonly Linear linear_2;

    public TimestepEmbedding(long inChannels, long timeEmbedDim) : base(nameof(TimestepEmbedding))
    {
        linear_1 = nn.Linear(inChannels, timeEmbedDim, device: ModuleBuild.Device);
        linear_2 = nn.Linear(timeEmbedDim, timeEmbedDim, device: ModuleBuild.Device);
        RegisterComponents();
    }

    /// <param name="sample">[B, inChannels]</param>
    /// <returns>[B, timeEmbedDim]</returns>
    public override Tensor forward(Tensor sample)
    {
        using var scope = NewDisposeScope();
        return scope.MoveToOuter(linear_2.forward(nn.functional.silu(linear_1.forward(sample))));
    }
}
