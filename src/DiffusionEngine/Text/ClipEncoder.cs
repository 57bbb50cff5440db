using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace DiffusionEngine.Text;

/// <summary>The stack of encoder layers (<c>encoder.layers.N.*</c>).</summary>
public sealed class ClipEncoder : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = "layers")]
    private readonly ModuleList<ClipEncoderLayer> _layers = new();

    public ClipEncoder(ClipTextConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(ClipEncoder))
    {
        for (int i = 0; i < config.NumHiddenLayers; i++) _layers.Add(new ClipEncoderLayer(config, device, dtype));
        RegisterComponents();
    }

    public int LayerCount => _layers.Count;

    /// <summary>The stack's output, and the input of its last layer (transformers' hidden_states[-2], what SDXL conditions on).</summary>
    /// <param name="hidden">[B, L, C]</param>
    public (Tensor Last, Tensor Penultimate) ForwardWithPenultimate(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        var x = hidden;
        Tensor penultimate = hidden;
        foreach (var layer in _layers)
        {
            penultimate = x;
            x = layer.forward(x);
        }
        return (scope.MoveToOuter(x), scope.MoveToOuter(penultimate.alias()));
    }

    /// <param name="hidden">[B, L, C]</param>
    public override Tensor forward(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        var x = hidden;
        foreach (var layer in _layers) x = layer.forward(x);
        return scope.MoveToOuter(x); // a new tensor: the config guarantees at least one layer
    }
}
