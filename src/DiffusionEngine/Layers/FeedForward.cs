using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DiffusionEngine.Layers;

/// <summary>
/// diffusers' FeedForward with GEGLU: net.0 = GEGLU(dim -> inner), net.1 = dropout, net.2 = Linear(inner -> dim),
/// inner = 4 x dim. The list layout keeps the checkpoint names ff.net.0.proj / ff.net.2.
/// </summary>
public sealed class FeedForward : nn.Module<Tensor, Tensor>
{
    private readonly ModuleList<nn.Module<Tensor, Tensor>> net;

    public FeedForward(long dim, long mult = 4, double dropout = 0.0) : base(nameof(FeedForward))
    {
        long inner = dim * mult;
        net = nn.ModuleList<nn.Module<Tensor, Tensor>>(new GEGLU(dim, inner), nn.Dropout(dropout), nn.Linear(inner, dim, device: ModuleBuild.Device));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = net[0].forward(x);
        if (training) h = net[1].forward(h);
        return scope.MoveToOuter(net[2].forward(h));
    }
}
