using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace DiffusionEngine.Text;

/// <summary>The encoder layer's feed-forward block: fc1 (C -> intermediate), activation, fc2 (back to C).</summary>
public sealed class ClipMlp : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = "fc1")]
    private readonly Linear _fc1;
    [ComponentName(Name = "fc2")]
    private readonly Linear _fc2;
    private readonly Func<Tensor, Tensor> _activation;

    public ClipMlp(ClipTextConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(ClipMlp))
    {
        _fc1 = nn.Linear(config.HiddenSize, config.IntermediateSize, hasBias: true, device: device, dtype: dtype);
        _fc2 = nn.Linear(config.IntermediateSize, config.HiddenSize, hasBias: true, device: device, dtype: dtype);
        _activation = ClipActivation.Resolve(config.HiddenAct);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        var inner = _activation(_fc1.forward(hidden));
        return scope.MoveToOuter(_fc2.forward(inner));
    }
}
